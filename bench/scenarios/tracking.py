"""Carrier scans end to end: `POST /api/v1/tracking-events/` (stored, answered 202) to the
shipment update the Celery worker makes (the scan applied under the order lock, the timeline
entry, the outbox message and its fan-out).

    python -m bench.scenarios.tracking --database oms_bench_p3_100k [--clients 8] [--seconds 15]

Scans go to parcels with the carrier (shipped, in transit or out for delivery) of a seeded
store, each a new carrier event id, an "in transit" scan at a random parcel, so no two clients
queue on one order's lock more than real carriers would. Figures: the API's accepted scans per
second and latency (the load generator), then the end-to-end rate — scans applied per second
from the first scan received to the last applied (all applied, or what the worker managed
within the drain time) — and the lag from receipt to application (p50/p95). The raw limit is
the same statements (ingest, then apply) replayed by pgbench, one transaction per scan.
"""

import argparse
import os
import random
import re
import subprocess
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from bench import harness, load
from bench.scenarios import reads

APPLY_TIMEOUT = 180.0
BATCH = 50  # scans per request when the carrier posts them in bulk


@dataclass
class TrackingFigures:
    api: load.LoadResult
    posted: int
    applied: int
    end_to_end_per_s: float
    lag_p50_ms: float
    lag_p95_ms: float
    drain_s: float
    raw_per_s: float | None = None  # scans per second
    batch: int = 1


def parcels_with_carrier(limit: int = 5000, seed: int = 11) -> list[tuple[str, str]]:
    """(carrier, tracking number) of parcels on their way, random ones of the store."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT carrier, tracking_number FROM orders_shipment "
            "WHERE status IN ('shipped', 'in_transit', 'out_for_delivery') "
            "AND carrier <> '' AND tracking_number <> '' LIMIT %s",
            [limit * 4],
        )
        rows = cursor.fetchall()
    random.Random(seed).shuffle(rows)
    if not rows:
        raise RuntimeError("no parcel with the carrier in this store: seed it first")
    return rows[:limit]


def make_token() -> str:
    from oms import services as platform_services
    from oms.models import ApiClient, Scope

    client = ApiClient.objects.filter(name="bench-tracking").first()
    if client is None:
        _, token = platform_services.create_api_client(
            name="bench-tracking", scopes=[Scope.TRACKING_WRITE]
        )
    else:  # its scans and events refer to it: keep it, with a new token
        token = platform_services.rotate_api_client_token(client=client)
    return token


def scan_body(run: str, parcel: tuple[str, str], index: int) -> dict:
    carrier, tracking_number = parcel
    return {
        "carrier": carrier,
        "tracking_number": tracking_number,
        "event_id": f"{run}-{index}",
        "status": "in_transit",
        "occurred_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "location": "Bench hub",
        "description": "Arrived at sort facility",
    }


def request_body(run: str, parcels: list[tuple[str, str]], first: int, batch: int, rng):
    """One scan (batch 1, the object form) or a JSON array of `batch` scans."""
    if batch == 1:
        return scan_body(run, rng.choice(parcels), first)
    return [scan_body(run, rng.choice(parcels), first + i) for i in range(batch)]


def request_for(run: str, parcels: list[tuple[str, str]], token: str, batch: int):
    headers = {"Authorization": f"Bearer {token}"}
    counter = iter(range(0, 10**12, batch))
    rng = random.Random(run)

    def request(session: load.Session) -> None:
        first = next(counter)  # next() on a range iterator is atomic under the GIL
        session.post_ok(
            "/api/v1/tracking-events/",
            json=request_body(run, parcels, first, batch, rng),
            expect=202,
            headers=headers,
        )

    return request


def wait_until_applied(run: str, timeout: float = APPLY_TIMEOUT) -> tuple[int, int, float]:
    """(scans stored, scans applied, seconds waited) once all are applied or time is up."""
    from django.db import connection

    started = time.monotonic()
    while True:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*), count(applied_at) FROM orders_trackingevent "
                "WHERE carrier_event_id LIKE %s",
                [f"{run}-%"],
            )
            stored, applied = cursor.fetchone()
        waited = time.monotonic() - started
        if applied >= stored or waited > timeout:
            return stored, applied, waited
        time.sleep(0.5)


def end_to_end(run: str) -> tuple[float, float, float]:
    """(applied per second from the first receipt to the last application, lag p50, p95 ms)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(applied_at), "
            "extract(epoch FROM max(applied_at) - min(received_at)), "
            "1000 * extract(epoch FROM percentile_cont(0.5) WITHIN GROUP "
            "  (ORDER BY applied_at - received_at)), "
            "1000 * extract(epoch FROM percentile_cont(0.95) WITHIN GROUP "
            "  (ORDER BY applied_at - received_at)) "
            "FROM orders_trackingevent WHERE carrier_event_id LIKE %s AND applied_at IS NOT NULL",
            [f"{run}-%"],
        )
        applied, span, p50, p95 = cursor.fetchone()
    if not applied or not span:
        return 0.0, float("nan"), float("nan")
    return applied / float(span), float(p50), float(p95)


def capture_scan_sql(
    parcels: list[tuple[str, str]], token: str, batch: int, count: int = 20
) -> list[list[str]]:
    """The statements one request costs: the API's ingest (token lookup, stored scans, parcels,
    insert, read back) and the worker's apply, captured in-process with parameters inlined."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from orders import services

    client = Client(headers={"Authorization": f"Bearer {token}"}, secure=True)
    run = f"capture-{uuid.uuid4().hex[:8]}"
    captured = []
    rng = random.Random(5)
    for index in range(count):
        with CaptureQueriesContext(connection) as queries:
            response = client.post(
                "/api/v1/tracking-events/",
                request_body(run, parcels, index * batch, batch, rng),
                content_type="application/json",
            )
            if response.status_code not in (200, 202):
                raise RuntimeError(f"tracking: HTTP {response.status_code} while capturing")
            if batch == 1:
                services.apply_tracking_event(event_id=response.json()["id"])
            else:
                ids = [item["id"] for item in response.json()["results"]]
                services.apply_tracking_events(event_ids=ids)
        captured.append([q["sql"] for q in queries.captured_queries])
    return captured


def raw_limit(
    scripts: list[list[str]], database_url: str, *, clients: int, seconds: float
) -> float:
    """Scans per second PostgreSQL reaches for the captured statements, one transaction per
    scan as the app's two transactions would be back to back. The carrier event id of each
    insert gets pgbench's client and transaction counters so every replay inserts a new scan."""
    with tempfile.TemporaryDirectory(prefix="bench-tracking-") as folder:
        files = []
        for index, statements in enumerate(scripts):
            lines = ["\\set n random(1, 9000000000000000000)"]
            for sql in statements:
                one = reads._one_line(sql)
                if one.startswith(("SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK TO SAVEPOINT")):
                    continue
                one = re.sub(r"'capture-[0-9a-f]{8}-", "'raw-:n-", one)
                # The outbox message's id is made by the app (uuid4): a new one per replay.
                one = re.sub(r"'[0-9a-f-]{36}'::uuid", "gen_random_uuid()", one)
                lines.append(one + ";")
            path = Path(folder) / f"scan-{index}.sql"
            path.write_text("\n".join(lines) + "\n")
            files.append(path)
        command = [
            reads.pgbench_path(),
            "--no-vacuum",
            f"--client={clients}",
            f"--jobs={min(clients, 2)}",
            f"--time={max(1, round(seconds))}",
            *(f"--file={path}" for path in files),
            database_url,
        ]
        result = subprocess.run(command, capture_output=True, text=True)
    match = re.search(r"tps = ([\d.]+) \(without initial connection time\)", result.stdout)
    if match is None:
        raise RuntimeError(f"pgbench answered:\n{result.stdout}\n{result.stderr[-2000:]}")
    return float(match.group(1))


def measure(
    base_url: str,
    parcels: list[tuple[str, str]],
    token: str,
    *,
    clients: int,
    seconds: float,
    batch: int,
) -> TrackingFigures:
    run = f"bench-{uuid.uuid4().hex[:10]}"
    result = load.run_load(
        f"tracking x{clients} batch {batch}",
        request_for(run, parcels, token, batch),
        clients=clients,
        seconds=seconds,
        warmup=1.0,
        setup=lambda: load.Session(base_url),
    )
    stored, applied, waited = wait_until_applied(run)
    rate, p50, p95 = end_to_end(run)
    return TrackingFigures(result, stored, applied, rate, p50, p95, waited, batch=batch)


def run(
    env: dict[str, str],
    database_url: str,
    *,
    clients: int,
    seconds: float,
    workers: int,
    worker_concurrency: int,
    batch: int = 1,
    with_raw: bool = True,
    web_env: dict[str, str] | None = None,
    base_url: str | None = None,
) -> TrackingFigures:
    """Sample the store's parcels, measure the raw limit, then post scans to a server and worker
    of its own on that store."""
    from bench.server import Server

    reads._use_database(database_url)
    parcels = parcels_with_carrier()
    token = make_token()
    raw = None
    if with_raw:
        scripts = capture_scan_sql(parcels, token, batch)
        raw = batch * raw_limit(scripts, database_url, clients=clients, seconds=seconds)
    if base_url is not None:  # the run's own server and worker, on this database
        figures = measure(base_url, parcels, token, clients=clients, seconds=seconds, batch=batch)
    else:
        env = {**env, "DATABASE_URL": database_url}
        with Server(
            env, workers=workers, worker_concurrency=worker_concurrency, web_env=web_env
        ) as server:
            time.sleep(3)  # the worker connects to the broker
            figures = measure(
                server.base_url, parcels, token, clients=clients, seconds=seconds, batch=batch
            )
    figures.raw_per_s = raw
    return figures


def main(ctx) -> None:
    """`python -m bench --only tracking`: on the first store reads uses (see reads.stores)."""
    database_url = reads.stores(ctx)[0]
    env = ctx.env
    base_url = ctx.base_url if database_url == ctx.database_url else None
    if base_url is None:
        # The run's own worker consumes the run's Redis database: this store's server and
        # worker get another one, or the run's worker would take (and drop) its tasks.
        env = {**env, "REDIS_URL": store_redis_url(env["REDIS_URL"])}
    for batch in (1, BATCH):
        figures = run(
            env,
            database_url,
            clients=8,
            seconds=ctx.seconds(15),
            workers=ctx.args.workers,
            worker_concurrency=ctx.args.worker_concurrency,
            batch=batch,
            web_env={k: v for k, v in ctx.server.web_env.items() if k in reads.WEB_SETTINGS},
            base_url=base_url,
        )
        ctx.results.append(figures.api)
        if figures.raw_per_s:
            ctx.raw[figures.api.name] = figures.raw_per_s / figures.batch
        ctx.notes.append(end_to_end_text(figures))
    reads._use_database(ctx.database_url)


def store_redis_url(run_redis_url: str) -> str:
    """BENCH_STORE_REDIS_URL, else the Redis database after the run's (14 -> 15)."""
    if os.environ.get("BENCH_STORE_REDIS_URL"):
        return os.environ["BENCH_STORE_REDIS_URL"]
    base, _, db = run_redis_url.rpartition("/")
    return f"{base}/{(int(db or 0) + 1) % 16}"


def end_to_end_text(figures: TrackingFigures) -> str:
    text = (
        f"tracking end to end ({figures.batch} scan(s) per request, "
        f"{figures.api.throughput * figures.batch:.0f} scans/s accepted by the API): "
        f"{figures.applied}/{figures.posted} scans applied, "
        f"{figures.end_to_end_per_s:.0f} per second from first receipt to last application "
        f"(target >= 500); receipt -> applied p50 {figures.lag_p50_ms:.0f} ms, "
        f"p95 {figures.lag_p95_ms:.0f} ms; drained {figures.drain_s:.1f} s after the load"
    )
    if figures.raw_per_s:
        text += (
            f"; raw limit {figures.raw_per_s:.0f} scans/s "
            f"(ratio {figures.end_to_end_per_s / figures.raw_per_s:.1%})"
        )
    return text


def cli() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database", required=True, help="a seeded store")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--worker-concurrency", type=int, default=2)
    parser.add_argument("--redis-db", type=int, default=13)
    parser.add_argument("--batch", type=int, default=BATCH, help="scans per request (1: one)")
    parser.add_argument("--no-raw", action="store_true")
    parser.add_argument("--pool", action="store_true", help="DB_POOL=true for the web server")
    args = parser.parse_args()
    if "bench" not in args.database:
        parser.error("the database's name must contain 'bench'")
    database_url = f"postgres://postgres@127.0.0.1:5432/{args.database}"
    os.environ.setdefault("BENCH_REDIS_URL", f"redis://127.0.0.1:6379/{args.redis_db}")
    reads.setup_django(database_url)
    env = harness.configure_environment()
    print(f"machine: {harness.machine_description()}; store {args.database}")
    figures = run(
        env,
        database_url,
        clients=args.clients,
        seconds=args.seconds,
        workers=args.workers,
        worker_concurrency=args.worker_concurrency,
        batch=args.batch,
        with_raw=not args.no_raw,
        web_env={"DB_POOL": "true"} if args.pool else None,
    )
    load.print_results(
        [figures.api],
        raw={figures.api.name: figures.raw_per_s / args.batch} if figures.raw_per_s else None,
    )
    print(end_to_end_text(figures))


if __name__ == "__main__":
    cli()
