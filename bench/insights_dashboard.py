"""The insights dashboard's queries over a large store, and the data-lake export's throughput.

    python bench/insights_dashboard.py --orders 1000000 [--days 365] [--period-days 30]
        [--repeat 3] [--database oms_bench_insights] [--regenerate] [--explain 6]
        [--measures on_time_rate,fcr_rate] [--skip-export] [--tuned]

Needs PostgreSQL: the server of DATABASE_URL (or BENCH_DATABASE_URL; default the local one),
in a database of its own (`--database`, created and migrated if missing; its tables are
emptied when the store is generated). The store (oms.bulk, what `manage.py seed_bulk` makes)
is generated with set-based SQL and kept: a later run with the same --orders and --days reuses
it.

Then, for a period of the last `--period-days` days up to the store's last hour, it times every
measure of insights.measures.MEASURES without a cut and with each of its cuts (`--repeat`
times; p50 and p95, rows answered and SQL statements issued), the drill-down's first page of
orders for each measure (all of it, and its biggest warehouse), and an export of every dataset
to a temporary folder (rows per second), followed by a run with nothing new. With --explain N,
it prints EXPLAIN (ANALYZE, BUFFERS) of the slowest statement of the slowest cut of the N
slowest measures. With --tuned, the indexes and settings docs/performance.md recommends are
made first (and dropped again by a run without them). Prints markdown tables;
docs/performance.md records them.
"""

import argparse
import contextlib
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import harness  # noqa: E402

DEFAULT_DATABASE = "oms_bench_insights"


# What docs/performance.md recommends beyond the migrations, tried here with --tuned (dropped
# again without it, so the plain run measures the schema as the migrations make it).
RECOMMENDED_INDEXES = {
    "bench_rec_tracking_exception": (
        "orders_trackingevent (shipment_id) WHERE status = 'exception'"
    ),
    "bench_rec_order_customer_created": "orders_order (customer_id, created_at)",
    "bench_rec_order_updated": "orders_order (updated_at, id)",
    "bench_rec_shipment_updated": "orders_shipment (updated_at, id)",
    "bench_rec_return_updated": "returns_returnrequest (updated_at, id)",
}
RECOMMENDED_SETTINGS = {"jit": "off"}


@dataclass
class Timing:
    label: str
    seconds: list[float] = field(default_factory=list)
    rows: int = 0
    statements: int = 0
    slowest_sql: tuple[float, str, object] = (0.0, "", None)

    @property
    def p50(self) -> float:
        return statistics.median(self.seconds) * 1000

    @property
    def p95(self) -> float:
        return harness.percentile(sorted(self.seconds), 0.95) * 1000


class StatementLog:
    """Counts the SQL statements run, and keeps the slowest one (for EXPLAIN)."""

    def __init__(self):
        self.count = 0
        self.slowest: tuple[float, str, object] = (0.0, "", None)

    def __call__(self, execute, sql, params, many, context):
        started = time.monotonic()
        try:
            return execute(sql, params, many, context)
        finally:
            elapsed = time.monotonic() - started
            self.count += 1
            if elapsed > self.slowest[0]:
                self.slowest = (elapsed, sql, params)


def bench_url(database: str) -> str:
    base = os.environ.get("BENCH_DATABASE_URL") or os.environ.get("DATABASE_URL") or ""
    if not base.startswith("postgres"):
        base = harness.DEFAULT_DATABASE_URL
    return base.rsplit("/", 1)[0] + "/" + database


def setup(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    harness.configure_environment()
    harness.ensure_database(url)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def tune(tuned: bool, settings: bool) -> None:
    """Create the recommended indexes (--tuned), or drop them (the plain run); apply the
    recommended settings to this session (--tuned, unless --default-settings)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname FROM pg_indexes WHERE indexname LIKE 'bench_rec_%%'")
        for (name,) in cursor.fetchall():
            cursor.execute(f'DROP INDEX "{name}"')
        if tuned:
            for name, definition in RECOMMENDED_INDEXES.items():
                cursor.execute(f"CREATE INDEX {name} ON {definition}")
            tables = sorted({d.split(" ")[0] for d in RECOMMENDED_INDEXES.values()})
            cursor.execute(f"ANALYZE {', '.join(tables)}")
        if settings:
            for setting, value in RECOMMENDED_SETTINGS.items():
                cursor.execute(f"SET {setting} = {value}")
    print(
        "schema: "
        + ("with the recommended indexes" if tuned else "as migrated")
        + (", settings: " + ", ".join(f"{k} = {v}" for k, v in RECOMMENDED_SETTINGS.items()))
        * settings
    )


def store(orders: int, days: int, regenerate: bool):
    """The generated store's anchor (its last hour), generating it when needed."""
    from django.db import connection

    from oms.bulk import progress
    from oms.bulk import store as bulk_store

    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE IF NOT EXISTS bench_insights_meta "
            "(orders bigint, days int, anchor timestamptz, seconds float)"
        )
        cursor.execute("SELECT orders, days, anchor, seconds FROM bench_insights_meta")
        found = cursor.fetchone()
    if found and found[:2] == (orders, days) and not regenerate:
        print(f"store: reusing {orders:,} orders over {days} days (generated in {found[3]:.0f} s)")
        return found[2], found[3]
    anchor = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    print(f"store: generating {orders:,} orders over {days} days up to {anchor:%Y-%m-%d %H:%M}Z")
    generated = bulk_store.generate(
        orders=orders,
        days=days,
        anchor=anchor,
        replace=True,
        progress=progress.StepLines(sys.stdout),
    )
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM bench_insights_meta")
        cursor.execute(
            "INSERT INTO bench_insights_meta VALUES (%s, %s, %s, %s)",
            [orders, days, anchor, generated.seconds],
        )
    print(f"store: generated in {generated.seconds:.0f} s")
    for table, count in generated.counts.items():
        print(f"  {table:<28} {count:>12,}")
    return anchor, generated.seconds


def time_measures(period, codes: list[str], repeat: int) -> list[Timing]:
    from django.db import connection

    from insights.measures import MEASURES

    timings = []
    for code in codes:
        measure = MEASURES[code]
        for cut in (None, *measure.cuts):
            timing = Timing(f"{code} / {cut or 'all'}")
            for attempt in range(repeat):
                log = StatementLog()
                with connection.execute_wrapper(log):
                    started = time.monotonic()
                    rows = measure.compute(period, cut=cut)
                    timing.seconds.append(time.monotonic() - started)
                if attempt == 0:
                    timing.rows, timing.statements = len(rows), log.count
                    timing.slowest_sql = log.slowest
            print(
                f"  {timing.label:<42} p50 {timing.p50:9.1f} ms  p95 {timing.p95:9.1f} ms  "
                f"{timing.rows:>4} rows  {timing.statements:>3} statements",
                flush=True,
            )
            timings.append(timing)
    return timings


def time_drilldowns(period, codes: list[str], repeat: int) -> list[Timing]:
    from django.db import connection

    from insights.measures import MEASURES
    from insights.views.drilldown import ORDER_FIELDS, PAGE_SIZE  # the page's own query

    timings = []
    for code in codes:
        measure = MEASURES[code]
        targets = [(None, None)]
        if "warehouse" in measure.cuts:
            rows = measure.compute(period, cut="warehouse")
            biggest = max(rows, key=lambda row: row.denominator, default=None)
            if biggest is not None:
                targets.append(("warehouse", biggest.key))
        for cut, key in targets:
            timing = Timing(f"{code} / {f'warehouse={key}' if cut else 'all'}")
            for attempt in range(repeat):
                log = StatementLog()
                with connection.execute_wrapper(log):
                    started = time.monotonic()
                    queryset = measure.orders_behind(period, cut=cut, key=key)
                    page = list(
                        queryset.select_related("customer")
                        .only(*ORDER_FIELDS)
                        .order_by("-id")[: PAGE_SIZE + 1]
                    )
                    timing.seconds.append(time.monotonic() - started)
                if attempt == 0:
                    timing.rows, timing.statements = len(page), log.count
                    timing.slowest_sql = log.slowest
            print(
                f"  {timing.label:<42} p50 {timing.p50:9.1f} ms  p95 {timing.p95:9.1f} ms  "
                f"{timing.rows:>4} rows",
                flush=True,
            )
            timings.append(timing)
    return timings


def explain(timings: list[Timing], count: int) -> None:
    from django.db import connection

    slowest: dict[str, Timing] = {}  # the slowest cut of each measure
    for timing in sorted(timings, key=lambda t: t.p50, reverse=True):
        slowest.setdefault(timing.label.split(" / ")[0], timing)
    for timing in list(slowest.values())[:count]:
        elapsed, sql, params = timing.slowest_sql
        if not sql:
            continue
        print(f"\n### {timing.label}: slowest statement {elapsed * 1000:.0f} ms\n")
        print("```sql")
        with connection.cursor() as cursor:
            print(cursor.mogrify(sql, params).decode() if params else sql)
            print("```\n\n```text")
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
            for (line,) in cursor.fetchall():
                print(line)
        print("```")


def time_export(batch_size: int) -> None:
    from insights.export.progress import Progress
    from insights.export.run import run_export

    folder = Path(tempfile.mkdtemp(prefix="oms-bench-lake-"))
    try:
        first = run_export(str(folder), batch_size=batch_size, progress=Progress())
        again = run_export(str(folder), batch_size=batch_size, progress=Progress(enabled=False))
        size = sum(path.stat().st_size for path in folder.rglob("*.parquet"))
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    print("\n| dataset | rows | files | seconds | rows/s |\n| --- | ---: | ---: | ---: | ---: |")
    for dataset in first.datasets:
        rate = dataset.rows / dataset.seconds if dataset.seconds else 0
        print(
            f"| {dataset.name} | {dataset.rows:,} | {len(dataset.files)} | "
            f"{dataset.seconds:.1f} | {rate:,.0f} |"
        )
    print(
        f"| **all** | **{first.rows:,}** | {len(first.files)} | {first.seconds:.1f} | "
        f"**{first.rows / first.seconds:,.0f}** |"
    )
    print(f"\nParquet on disk: {size / 2**20:,.0f} MiB (zstd).")
    print(f"A second run with nothing new: {again.rows} rows in {again.seconds:.1f} s.")
    slowest = sorted(again.datasets, key=lambda d: d.seconds, reverse=True)[:4]
    print("  slowest datasets: " + ", ".join(f"{d.name} {d.seconds:.2f} s" for d in slowest))


def table(title: str, timings: list[Timing], *, statements: bool = True) -> None:
    print(f"\n{title}\n")
    header = "| measure / cut | p50 ms | p95 ms | rows |"
    rule = "| --- | ---: | ---: | ---: |"
    if statements:
        header, rule = header + " statements |", rule + " ---: |"
    print(header + "\n" + rule)
    for t in timings:
        line = f"| {t.label} | {t.p50:,.1f} | {t.p95:,.1f} | {t.rows} |"
        print(line + (f" {t.statements} |" if statements else ""))


def machine() -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        version = cursor.fetchone()[0]
        cursor.execute("SHOW shared_buffers")
        buffers = cursor.fetchone()[0]
    memory = ""
    with contextlib.suppress(OSError, IndexError):
        memory = subprocess.run(["free", "-g"], capture_output=True, text=True).stdout.split()[7]
    return (
        f"{harness.machine_description()}, {memory} GiB RAM, PostgreSQL {version} "
        f"(shared_buffers {buffers}), Python {platform.python_version()}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--days", type=int, default=365, help="the store's history")
    parser.add_argument("--period-days", type=int, default=30, help="the dashboard's period")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--database", default=DEFAULT_DATABASE)
    parser.add_argument("--regenerate", action="store_true")
    parser.add_argument("--measures", default="", help="comma-separated codes (default: all)")
    parser.add_argument("--explain", type=int, default=0)
    parser.add_argument("--skip-export", action="store_true")
    parser.add_argument("--batch-size", type=int, default=50_000)
    parser.add_argument(
        "--tuned", action="store_true", help="with the recommended indexes and settings"
    )
    parser.add_argument(
        "--default-settings", action="store_true", help="--tuned, but with the server's settings"
    )
    args = parser.parse_args()
    if "bench" not in args.database:
        parser.error("--database must name a benchmark database (its name contains 'bench')")

    setup(bench_url(args.database))
    from insights.measures import MEASURES, Period

    print(f"machine: {machine()}; load average {os.getloadavg()[0]:.1f}")
    anchor, _ = store(args.orders, args.days, args.regenerate)
    tune(args.tuned, args.tuned and not args.default_settings)
    period = Period.last_days(args.period_days, now=anchor)
    codes = [c for c in args.measures.split(",") if c] or list(MEASURES)
    print(f"period: {period.start:%Y-%m-%d} to {period.end:%Y-%m-%d} (end excluded)")

    print("\nmeasures:")
    measures = time_measures(period, codes, args.repeat)
    print("\ndrill-down, first page:")
    drills = time_drilldowns(period, codes, args.repeat)
    table(f"Measures over {args.period_days} days ({args.orders:,} orders)", measures)
    table("Drill-down, first page of orders", drills, statements=False)
    if args.explain:
        explain(measures + drills, args.explain)
    print(f"\nload average after the queries: {os.getloadavg()[0]:.1f}")
    if not args.skip_export:
        print("\nexport:")
        time_export(args.batch_size)
        print(f"load average after the export: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
