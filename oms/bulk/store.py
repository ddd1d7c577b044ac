"""Generate a bulk store: run oms.bulk.steps, loading as a restore does (no foreign-key
triggers; indexes and unique constraints made once at the end, which checks them), most steps
in two sessions side by side (two cores), then move the id sequences past the rows written and
analyse the tables."""

import re
import threading
import time
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import partial

from django.db import DEFAULT_DB_ALIAS, connections

from oms.bulk.steps import SCRATCH, SEQUENCED, STEPS, TABLES, Step
from orders.demo import data as demo

INSERTED = re.compile(r"\s*INSERT INTO (\w+)")
# Tables that must be empty for a store to be generated into (without --replace).
STORE_TABLES = ["orders_order", "orders_customer", "orders_warehouse", "orders_product"]
# Weights of the work after the steps, in the same unit as Step.weight.
INDEX_WEIGHT = 190.0
ANALYZE_WEIGHT = 60.0
# The order number sequence (orders.services.placement.next_order_number) continues after the
# numbers written, which are 100000 + id like the ones it hands out.
ORDER_NUMBER_START = 100000
# For the generating session only (reset at the end): a lost last commit costs nothing here,
# sorts and index builds stay in memory, and compiling the big statements (JIT) costs more
# than it saves.
SESSION_SETTINGS = {
    "synchronous_commit": "off",
    "work_mem": "'256MB'",
    "maintenance_work_mem": "'512MB'",
    "jit": "off",
}


class StoreNotEmpty(Exception):
    """The database already holds a store: generating would mix two (or need --replace)."""


@dataclass
class Generated:
    orders: int
    days: int
    anchor: datetime
    seconds: float
    counts: dict[str, int]
    timings: dict[str, float]


class Progress:
    """What the generator reports to: each step's start (with its weight) and its end. Two
    steps may run at once, reported from two threads."""

    def start(self, name: str, weight: float) -> None:
        pass

    def done(self, name: str, seconds: float) -> None:
        pass


def statements(sql: str) -> list[str]:
    """A step's statements, one by one (a driver binding parameters on the server, as psycopg 3
    does, takes one statement per call). Statements end with a semicolon at the end of a line."""
    return [part.strip() for part in re.split(r";\s*\n", sql) if part.strip()]


def total_weight() -> float:
    return sum(step.weight for step in STEPS) + INDEX_WEIGHT + ANALYZE_WEIGHT


def existing_rows(cursor) -> dict[str, int]:
    """Rows already in the tables a store starts from (non-zero ones only)."""
    found = {}
    for table in STORE_TABLES:
        cursor.execute(f"SELECT count(*) FROM (SELECT 1 FROM {table} LIMIT 1000000) t")
        count = cursor.fetchone()[0]
        if count:
            found[table] = count
    return found


@dataclass(frozen=True)
class Deferred:
    """An index or unique constraint dropped for the load and made again at its end (which
    checks uniqueness once, instead of row by row)."""

    table: str
    name: str
    drop: str
    create: str


def deferred_indexes(cursor) -> list[Deferred]:
    """The loaded tables' unique constraints and indexes other than primary keys."""
    cursor.execute(
        """
        SELECT ct.relname, ci.relname, k.conname, k.contype,
               pg_get_indexdef(i.indexrelid), pg_get_constraintdef(k.oid)
        FROM pg_index i
        JOIN pg_class ci ON ci.oid = i.indexrelid
        JOIN pg_class ct ON ct.oid = i.indrelid
        LEFT JOIN pg_constraint k ON k.conindid = i.indexrelid AND k.conrelid = ct.oid
        WHERE ct.relname = ANY(%s) AND NOT i.indisprimary
          AND (k.oid IS NULL OR k.contype = 'u')
        ORDER BY ct.relname, ci.relname
        """,
        [TABLES],
    )
    deferred = []
    for table, index, constraint, kind, index_sql, constraint_sql in cursor.fetchall():
        if kind == "u":
            deferred.append(
                Deferred(
                    table,
                    constraint,
                    f'ALTER TABLE "{table}" DROP CONSTRAINT "{constraint}"',
                    f'ALTER TABLE "{table}" ADD CONSTRAINT "{constraint}" {constraint_sql}',
                )
            )
        else:
            deferred.append(Deferred(table, index, f'DROP INDEX "{index}"', index_sql))
    return deferred


def ascii_of(name: str) -> str:
    """A name as the local part of an email: lower-case ASCII letters ("João" -> "joao")."""
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return "".join(ch for ch in plain.lower() if ch.isalnum())


def parameters(*, orders: int, days: int, anchor: datetime) -> dict:
    return {
        "orders": orders,
        "days": days,
        "anchor": anchor,
        "customers": max(orders // 3, 1),
        "us_first": list(demo.US_FIRST),
        "us_last": list(demo.US_LAST),
        "br_first": list(demo.BR_FIRST),
        "br_last": list(demo.BR_LAST),
        "us_first_ascii": [ascii_of(name) for name in demo.US_FIRST],
        "us_last_ascii": [ascii_of(name) for name in demo.US_LAST],
        "br_first_ascii": [ascii_of(name) for name in demo.BR_FIRST],
        "br_last_ascii": [ascii_of(name) for name in demo.BR_LAST],
        "streets": list(demo.STREETS),
    }


def generate(
    *,
    orders: int,
    days: int,
    anchor: datetime,
    replace: bool = False,
    seed: float = 0.42,
    progress: Progress | None = None,
    using: str = DEFAULT_DB_ALIAS,
) -> Generated:
    """Fill the store's tables with `orders` orders over `days` days up to `anchor`.

    Runs in autocommit on the `using` database, outside any transaction (VACUUM cannot run in
    one), and in a second session of its own for the steps that run side by side. The tables
    must be empty, unless `replace` (then they are emptied first, with every row that refers
    to them). Raises StoreNotEmpty, having written nothing.
    """
    if orders < 1 or days < 1:
        raise ValueError("orders and days must be at least 1")
    progress = progress or Progress()
    connection = connections[using]
    if connection.in_atomic_block:
        raise RuntimeError("a bulk store is generated outside any transaction")
    started = time.monotonic()
    timings: dict[str, float] = {}
    counts = dict.fromkeys(SEQUENCED, 0)
    params = parameters(orders=orders, days=days, anchor=anchor)
    with connection.cursor() as cursor:
        found = existing_rows(cursor)
        if found and not replace:
            raise StoreNotEmpty(
                ", ".join(f"{table}: {count:,} rows" for table, count in found.items())
            )
        if replace:
            cursor.execute(f"TRUNCATE {', '.join(TABLES)} RESTART IDENTITY CASCADE")
        deferred = deferred_indexes(cursor)
        for item in deferred:
            cursor.execute(item.drop)
    try:
        _run_lanes(
            [[step for step in STEPS if step.lane == 0]],
            params,
            seed=seed,
            progress=progress,
            timings=timings,
            counts=counts,
            using=using,
        )
        _run_lanes(
            [[step for step in STEPS if step.lane == lane] for lane in (1, 2)],
            params,
            seed=seed,
            progress=progress,
            timings=timings,
            counts=counts,
            using=using,
        )
    finally:
        # Made again even after a failed step, so the schema stays as migrated.
        progress.start("indexes", INDEX_WEIGHT)
        step_started = time.monotonic()
        _rebuild(deferred, using=using)
        timings["indexes"] = time.monotonic() - step_started
        progress.done("indexes", timings["indexes"])
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS {', '.join(SCRATCH)}")
    with connection.cursor() as cursor:
        for table in SEQUENCED:
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"coalesce((SELECT max(id) FROM {table}), 1))"
            )
        cursor.execute(
            "SELECT setval('orders_order_number_seq', %s + (SELECT max(id) FROM orders_order))",
            [ORDER_NUMBER_START],
        )
    progress.start("analyze", ANALYZE_WEIGHT)
    step_started = time.monotonic()
    _vacuum(using=using)
    timings["analyze"] = time.monotonic() - step_started
    progress.done("analyze", timings["analyze"])
    return Generated(orders, days, anchor, time.monotonic() - started, counts, timings)


def _run_lanes(lanes, params, *, seed, progress, timings, counts, using) -> None:
    """Run each lane's steps in order, the lanes side by side (the first one in this thread,
    the others each in a thread with a database session of its own)."""

    def run(steps: list[Step]) -> None:
        with connections[using].cursor() as cursor:
            for setting, value in SESSION_SETTINGS.items():
                cursor.execute(f"SET {setting} = {value}")
            # Bulk load as a restore does: the rows are consistent by construction, so no
            # foreign-key triggers (replica role).
            cursor.execute("SET session_replication_role = replica")
            cursor.execute("SELECT setseed(%s)", [seed])
            try:
                for step in steps:
                    progress.start(step.name, step.weight)
                    step_started = time.monotonic()
                    for statement in statements(step.sql):
                        cursor.execute(statement, params)
                        inserted = INSERTED.match(statement)
                        if inserted and inserted[1] in counts:
                            counts[inserted[1]] += cursor.rowcount
                    timings[step.name] = time.monotonic() - step_started
                    progress.done(step.name, timings[step.name])
            finally:
                for setting in ("session_replication_role", *SESSION_SETTINGS):
                    cursor.execute(f"RESET {setting}")

    _side_by_side([partial(run, steps) for steps in lanes], using=using)


def _table_sizes(using: str) -> dict[str, int]:
    with connections[using].cursor() as cursor:
        cursor.execute(
            "SELECT relname, pg_relation_size(oid) FROM pg_class WHERE relname = ANY(%s)",
            [TABLES],
        )
        return dict(cursor.fetchall())


def _spread(items: list, size_of: Callable[[object], int]) -> list[list]:
    """Two lanes of about the same total size, the largest items first."""
    lanes: list[list] = [[], []]
    loads = [0, 0]
    for item in sorted(items, key=size_of, reverse=True):
        lane = loads.index(min(loads))
        lanes[lane].append(item)
        loads[lane] += size_of(item)
    return lanes


def _run_sql(sql: list[str], *, setting: str = "", using: str) -> None:
    with connections[using].cursor() as cursor:
        if setting:
            cursor.execute(f"SET {setting} = {SESSION_SETTINGS[setting]}")
        for statement in sql:
            cursor.execute(statement)
        if setting:
            cursor.execute(f"RESET {setting}")


def _rebuild(deferred: list[Deferred], *, using: str) -> None:
    """Make the deferred indexes and constraints again, in two sessions, the largest tables'
    spread over both."""
    sizes = _table_sizes(using)
    lanes = _spread(deferred, lambda item: sizes.get(item.table, 0))
    _side_by_side(
        [
            partial(
                _run_sql,
                [item.create for item in lane],
                setting="maintenance_work_mem",
                using=using,
            )
            for lane in lanes
        ],
        using=using,
    )


def _vacuum(*, using: str) -> None:
    """VACUUM ANALYZE the tables written, in two sessions: statistics for the planner, and the
    visibility map and hint bits set now rather than by the first reads (or an autovacuum
    during a benchmark)."""
    sizes = _table_sizes(using)
    lanes = _spread(TABLES, lambda table: sizes.get(table, 0))
    _side_by_side(
        [
            partial(_run_sql, [f"VACUUM ANALYZE {table}" for table in lane], using=using)
            for lane in lanes
        ],
        using=using,
    )


def _side_by_side(work: list[Callable[[], None]], *, using: str) -> None:
    """Call each function, the first in this thread and the others in threads of their own
    (each with its own database connection, closed at the end); re-raise the first error."""
    errors: list[BaseException] = []

    def in_thread(function: Callable[[], None]) -> None:
        try:
            function()
        except BaseException as exc:  # noqa: BLE001 - handed to the calling thread
            errors.append(exc)
        finally:
            connections[using].close()

    threads = [threading.Thread(target=in_thread, args=(function,)) for function in work[1:]]
    for thread in threads:
        thread.start()
    try:
        work[0]()
    finally:
        for thread in threads:
            thread.join()
    if errors:
        raise errors[0]
