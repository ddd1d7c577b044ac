"""One export run: every dataset's new rows to Parquet, then the manifest, then the cursors.

Exactly once: the cursors move, in one transaction with the run's success, only after every
file and the manifest are written. A run that fails removes its files at once; a run that
died (killed, machine lost) leaves them listed on its ExportRun row, and the next run to the
same target removes them before it starts. So the target only ever holds the files of
succeeded runs, and each row version is in exactly one of them.
"""

import logging
import secrets
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import fsspec
from django.db import transaction
from django.utils import timezone

from insights.export import writer
from insights.export.datasets import DATASETS, SCHEMA_VERSION, Dataset
from insights.export.progress import NoProgress, Progress
from insights.export.readers import Position, reader_for
from insights.models import ExportCursor, ExportRun

logger = logging.getLogger(__name__)

BATCH_SIZE = 50_000
SETTLE = timedelta(seconds=60)
# A running run that has not written anything for this long died; its files are removed.
STALE_AFTER = timedelta(minutes=15)
HEARTBEAT_EVERY = timedelta(seconds=30)


class ExportError(Exception):
    """The export cannot run as asked (unknown dataset, schema mismatch, a run in progress)."""


@dataclass
class DatasetResult:
    name: str
    rows: int = 0
    files: list[writer.WrittenFile] = field(default_factory=list)
    start: Position = field(default_factory=Position)
    end: Position = field(default_factory=Position)
    seconds: float = 0.0

    def describe(self) -> dict[str, Any]:
        return {
            "schema_version": SCHEMA_VERSION,
            "rows": self.rows,
            "files": [{"path": f.path, "rows": f.rows, "date": f.date} for f in self.files],
            "watermark": {"from": self.start.describe(), "to": self.end.describe()},
            "seconds": round(self.seconds, 3),
        }


@dataclass
class ExportResult:
    run_id: str
    target: str
    manifest: dict[str, Any]
    datasets: list[DatasetResult]
    seconds: float

    @property
    def rows(self) -> int:
        return sum(result.rows for result in self.datasets)

    @property
    def files(self) -> list[str]:
        return [f.path for result in self.datasets for f in result.files]


def dataset_names(names: Iterable[str] | None) -> list[str]:
    """The datasets asked for, in export order; all of them when none are named."""
    if not names:
        return list(DATASETS)
    wanted = [name.strip() for name in names if name.strip()]
    unknown = sorted(set(wanted) - set(DATASETS))
    if unknown:
        raise ExportError(
            f"unknown dataset(s): {', '.join(unknown)}; choose among {', '.join(DATASETS)}"
        )
    return [name for name in DATASETS if name in wanted]


def run_export(
    target: str,
    *,
    datasets: Iterable[str] | None = None,
    batch_size: int = BATCH_SIZE,
    settle: timedelta = SETTLE,
    progress: Progress | None = None,
    now: datetime | None = None,
) -> ExportResult:
    """Export every new or changed row of the datasets (all by default) to `target`, a folder or
    an fsspec URL, and write the run's manifest; then move the cursors. Rows changed in the
    last `settle` wait for the next run. Raises ExportError before writing anything when the
    export cannot run."""
    names = dataset_names(datasets)
    progress = progress or NoProgress()
    now = now or timezone.now()
    horizon = now - settle
    fs, root = writer.open_target(target)
    key = writer.target_key(fs, root)
    clean_up_dead_runs(key, fs, root, now=now)
    cursors = {c.dataset: c for c in ExportCursor.objects.filter(target=key, dataset__in=names)}
    check_schema_versions(fs, root, names, cursors)

    run = ExportRun.objects.create(
        target=key, run_id=f"{now.astimezone(UTC):%Y%m%dT%H%M%SZ}-{secrets.token_hex(4)}"
    )
    ExportRun.objects.filter(pk=run.pk).update(heartbeat_at=timezone.now())
    if ExportRun.objects.filter(
        target=key,
        status=ExportRun.Status.RUNNING,
        pk__lt=run.pk,
        heartbeat_at__gte=timezone.now() - STALE_AFTER,
    ).exists():
        run.delete()
        raise ExportError(f"another export to {key} is running")
    recorder = FileRecorder(run)
    started = time.monotonic()
    try:
        results = []
        for index, name in enumerate(names, start=1):
            progress.start(name, index=index, count=len(names))
            results.append(
                export_dataset(
                    DATASETS[name],
                    fs=fs,
                    root=root,
                    run=run,
                    recorder=recorder,
                    position=position_of(cursors.get(name)),
                    horizon=horizon,
                    batch_size=batch_size,
                    progress=progress,
                )
            )
            progress.finish()
        finished = timezone.now()
        manifest = {
            "run_id": run.run_id,
            "target": key,
            "schema_version": SCHEMA_VERSION,
            "started_at": run.started_at.isoformat(),
            "finished_at": finished.isoformat(),
            "horizon": horizon.isoformat(),
            "datasets": {result.name: result.describe() for result in results},
        }
        manifest_path = f"{writer.MANIFESTS}/{run.run_id}.json"
        recorder.record([manifest_path])
        writer.write_json(fs, f"{root}/{manifest_path}", manifest)
        with transaction.atomic():
            for result in results:
                save_cursor(key, result)
            ExportRun.objects.filter(pk=run.pk).update(
                status=ExportRun.Status.SUCCEEDED,
                finished_at=finished,
                heartbeat_at=finished,
                rows={result.name: result.rows for result in results},
            )
    except BaseException as exc:
        abandon(run, fs, root, recorder.files, error=repr(exc))
        raise
    logger.info(
        "insights.export_finished",
        extra={"run_id": run.run_id, "target": key, "rows": sum(r.rows for r in results)},
    )
    return ExportResult(
        run_id=run.run_id,
        target=key,
        manifest=manifest,
        datasets=results,
        seconds=time.monotonic() - started,
    )


def export_dataset(
    dataset: Dataset,
    *,
    fs: fsspec.AbstractFileSystem,
    root: str,
    run: ExportRun,
    recorder: "FileRecorder",
    position: Position,
    horizon: datetime,
    batch_size: int,
    progress: Progress,
) -> DatasetResult:
    """Read the dataset's new rows page by page and write them; the cursor is not moved here."""
    started = time.monotonic()
    writer.write_json(fs, f"{root}/{dataset.name}/{writer.SCHEMA_FILE}", dataset.describe())
    reader = reader_for(dataset, position, horizon=horizon, size=batch_size)
    parts = writer.PartitionWriter(fs, root, dataset, run.run_id, before_write=recorder.record)
    for rows in reader.pages():
        parts.add(rows)
        progress.advance(len(rows))
        recorder.beat()
    files = parts.close()
    return DatasetResult(
        name=dataset.name,
        rows=parts.rows,
        files=files,
        start=position,
        end=reader.position,
        seconds=time.monotonic() - started,
    )


class FileRecorder:
    """Notes the files on the run's row before they are written (a group at a time: one update
    per group, whatever its size), and keeps the run's heartbeat."""

    def __init__(self, run: ExportRun):
        self.run = run
        self.files: list[str] = []
        self.last_beat = timezone.now()

    def record(self, relative_paths: list[str]) -> None:
        self.files.extend(relative_paths)
        self.last_beat = timezone.now()
        ExportRun.objects.filter(pk=self.run.pk).update(
            files=self.files, heartbeat_at=self.last_beat
        )

    def beat(self) -> None:
        if timezone.now() - self.last_beat >= HEARTBEAT_EVERY:
            self.last_beat = timezone.now()
            ExportRun.objects.filter(pk=self.run.pk).update(heartbeat_at=self.last_beat)


def position_of(cursor: ExportCursor | None) -> Position:
    if cursor is None:
        return Position()
    return Position(
        last_id=cursor.last_id, last_updated_at=cursor.last_updated_at, state=cursor.state
    )


def save_cursor(target: str, result: DatasetResult) -> None:
    ExportCursor.objects.update_or_create(
        target=target,
        dataset=result.name,
        defaults={
            "schema_version": SCHEMA_VERSION,
            "last_id": result.end.last_id,
            "last_updated_at": result.end.last_updated_at,
            "state": result.end.state,
        },
    )


def check_schema_versions(
    fs: fsspec.AbstractFileSystem, root: str, names: list[str], cursors: dict[str, ExportCursor]
) -> None:
    """A target holds one schema version per dataset: rows of another version go elsewhere."""
    for name in names:
        cursor = cursors.get(name)
        described = writer.read_json(fs, f"{root}/{name}/{writer.SCHEMA_FILE}")
        found = {
            cursor.schema_version if cursor else None,
            described.get("schema_version") if described else None,
        } - {None}
        if found - {SCHEMA_VERSION}:
            raise ExportError(
                f"{name} was exported with schema version {max(found)} and this code writes "
                f"version {SCHEMA_VERSION}: export to a new folder (see docs/insights.md)"
            )


def clean_up_dead_runs(
    target: str, fs: fsspec.AbstractFileSystem, root: str, *, now: datetime
) -> None:
    """Remove the files of runs that failed or died on this target (their rows were never
    counted: the cursors did not move)."""
    dead = ExportRun.objects.filter(target=target, cleaned_at__isnull=True).filter(
        status=ExportRun.Status.FAILED
    ) | ExportRun.objects.filter(
        target=target,
        cleaned_at__isnull=True,
        status=ExportRun.Status.RUNNING,
        heartbeat_at__lt=now - STALE_AFTER,
    )
    for run in dead:
        abandon(run, fs, root, run.files, error=run.error or "died without finishing")


def abandon(
    run: ExportRun,
    fs: fsspec.AbstractFileSystem,
    root: str,
    files: list[str],
    *,
    error: str,
) -> None:
    """Remove a failed run's files (what could not be removed now is retried by the next run)."""
    removed = True
    for path in files:
        try:
            writer.remove(fs, f"{root}/{path}")
        except OSError:
            removed = False
            logger.exception("insights.export_cleanup_failed", extra={"path": path})
    ExportRun.objects.filter(pk=run.pk).update(
        status=ExportRun.Status.FAILED,
        finished_at=run.finished_at or timezone.now(),
        cleaned_at=timezone.now() if removed else None,
        error=error[:2000],
    )
    logger.warning("insights.export_abandoned", extra={"run_id": run.run_id, "files": len(files)})
