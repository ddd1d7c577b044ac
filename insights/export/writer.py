"""Writing a dataset's rows as Parquet files partitioned by date, hive-style, to any
filesystem fsspec understands: `<dataset>/date=YYYY-MM-DD/part-<run id>-<n>.parquet`.

Rows are buffered per partition and written in files of up to `file_rows` rows; whenever more
than `buffer_rows` rows wait, every partition is written out, so memory stays bounded.
"""

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import fsspec
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from insights.export.datasets import Dataset

FILE_ROWS = 250_000
BUFFER_ROWS = 500_000
COMPRESSION = "zstd"
MANIFESTS = "_manifests"
SCHEMA_FILE = "_schema.json"


@dataclass(frozen=True)
class WrittenFile:
    path: str  # relative to the target's root
    rows: int
    date: str


def open_target(target: str) -> tuple[fsspec.AbstractFileSystem, str]:
    """The filesystem and root path of a folder or an object-store URL (s3://bucket/lake,
    memory://lake, gs://..., az://...; their drivers are installed separately)."""
    fs, root = fsspec.core.url_to_fs(target)
    return fs, root.rstrip("/") or root


def target_key(fs: fsspec.AbstractFileSystem, root: str) -> str:
    """The canonical name of a target, under which its cursors and runs are kept."""
    return fs.unstrip_protocol(root)


def to_table(dataset: Dataset, rows: Sequence[tuple[Any, ...]]) -> pa.Table:
    columns = list(zip(*rows, strict=True)) if rows else [() for _ in dataset.columns]
    arrays = []
    for column, values in zip(dataset.columns, columns, strict=True):
        if column.convert is not None:
            values = [None if value is None else column.convert(value) for value in values]
        arrays.append(pa.array(values, type=column.type))
    return pa.Table.from_arrays(arrays, schema=dataset.arrow_schema())


def write_json(fs: fsspec.AbstractFileSystem, path: str, data: dict[str, Any]) -> None:
    fs.makedirs(path.rsplit("/", 1)[0], exist_ok=True)
    with fs.open(path, "wb") as handle:
        handle.write(json.dumps(data, indent=2, sort_keys=False).encode())


def read_json(fs: fsspec.AbstractFileSystem, path: str) -> dict[str, Any] | None:
    if not fs.exists(path):
        return None
    with fs.open(path, "rb") as handle:
        return json.loads(handle.read())


def remove(fs: fsspec.AbstractFileSystem, path: str) -> None:
    if fs.exists(path):
        fs.rm(path)


class PartitionWriter:
    """Receives a dataset's pages of rows; writes them out as partitioned Parquet files.
    `before_write(relative_paths)` is called before a group of files is created, so that a run
    that dies mid-write still knows every file it may have left behind."""

    def __init__(
        self,
        fs: fsspec.AbstractFileSystem,
        root: str,
        dataset: Dataset,
        run_id: str,
        *,
        before_write: Callable[[list[str]], None],
        file_rows: int = FILE_ROWS,
        buffer_rows: int = BUFFER_ROWS,
    ):
        self.fs, self.root, self.dataset, self.run_id = fs, root, dataset, run_id
        self.before_write = before_write
        self.file_rows, self.buffer_rows = file_rows, buffer_rows
        self.buffered: dict[str, list[pa.Table]] = {}
        self.buffered_rows: dict[str, int] = {}
        self.files: list[WrittenFile] = []
        self.rows = 0

    def add(self, rows: Sequence[tuple[Any, ...]]) -> None:
        if not rows:
            return
        table = to_table(self.dataset, rows)
        self.rows += table.num_rows
        dates = pc.strftime(table[self.dataset.partition_by], format="%Y-%m-%d")
        full = []
        for date in pc.unique(dates).to_pylist():
            part = table.filter(pc.equal(dates, date))
            self.buffered.setdefault(date, []).append(part)
            self.buffered_rows[date] = self.buffered_rows.get(date, 0) + part.num_rows
            if self.buffered_rows[date] >= self.file_rows:
                full.append(date)
        if sum(self.buffered_rows.values()) >= self.buffer_rows:
            self._flush(sorted(self.buffered))
        elif full:
            self._flush(sorted(full), whole_files_only=True)

    def close(self) -> list[WrittenFile]:
        self._flush(sorted(self.buffered))
        return self.files

    def _flush(self, dates: list[str], *, whole_files_only: bool = False) -> None:
        """Write the partitions' buffered rows; with `whole_files_only`, keep what would make
        a file smaller than `file_rows` for later."""
        planned: list[tuple[str, str, pa.Table]] = []
        for date in dates:
            table = pa.concat_tables(self.buffered.pop(date))
            self.buffered_rows.pop(date)
            start = 0
            while start < table.num_rows:
                if whole_files_only and table.num_rows - start < self.file_rows:
                    self.buffered[date] = [table.slice(start)]
                    self.buffered_rows[date] = table.num_rows - start
                    break
                number = len(self.files) + len(planned)
                relative = (
                    f"{self.dataset.name}/date={date}/part-{self.run_id}-{number:05d}.parquet"
                )
                planned.append((relative, date, table.slice(start, self.file_rows)))
                start += self.file_rows
        if not planned:
            return
        self.before_write([relative for relative, _, _ in planned])
        made: set[str] = set()
        for relative, date, table in planned:
            path = f"{self.root}/{relative}"
            folder = path.rsplit("/", 1)[0]
            if folder not in made:
                self.fs.makedirs(folder, exist_ok=True)
                made.add(folder)
            with self.fs.open(path, "wb") as handle:
                pq.write_table(table, handle, compression=COMPRESSION)
            self.files.append(WrittenFile(path=relative, rows=table.num_rows, date=date))
