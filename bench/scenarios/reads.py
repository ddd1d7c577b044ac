"""Reads at scale: the API's order list (with filters) and order detail, and the console's search
box (a signed-in rep's session, as the top bar's htmx dropdown asks it), against a seeded store.

    python -m bench.scenarios.reads --database oms_bench_p3_100k [--clients 1,4] [--seconds 10]

The store comes from `seed_bulk --orders N` (any database whose name contains "bench"). Requests
are drawn from a sample of the store's own orders, customers and parcels, so every request reads
a different row. The raw limit replays the SQL the application issued for a sample of the same
requests (captured in-process with Django's test client, the session and token lookups
included) with pgbench, one script per captured request, each script one pgbench transaction:
the rate PostgreSQL reaches for the same statements without Python. The ratio is the app's
requests per second over that rate at the same number of clients.
"""

import argparse
import itertools
import os
import random
import re
import shutil
import subprocess
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import quote, urlencode

from bench import harness, load

PGBENCH_CANDIDATES = ["pgbench", "/usr/lib/postgresql/15/bin/pgbench"]
SAMPLE_SIZE = 400
CAPTURED_PER_READ = 40


@dataclass
class Sample:
    """What the requests read: real rows of the store, and the credentials to read them."""

    token: str
    session_cookie: str
    order_numbers: list[str]
    emails: list[str]
    customer_ids: list[int]
    names: list[str]
    tracking_numbers: list[str]
    warehouses: list[str]
    days: list[str]  # ISO dates with orders
    statuses: list[str] = field(default_factory=list)


def setup_django(database_url: str) -> None:
    os.environ["DATABASE_URL"] = database_url
    harness.configure_environment()
    import django

    django.setup()


def make_sample(size: int = SAMPLE_SIZE, seed: int = 7) -> Sample:
    """Random orders, customers and parcels of the store (by random ids: no ORDER BY random()
    over a million rows), an API client with the read scopes and a signed-in console agent."""
    from django.contrib.auth.models import Group, User
    from django.db import connection
    from django.test import Client

    from oms import services as platform_services
    from oms.models import ApiClient, Scope

    rng = random.Random(seed)

    def random_rows(table: str, columns: str, where: str = "TRUE") -> list[tuple]:
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT min(id), max(id) FROM {table}")
            low, high = cursor.fetchone()
            if low is None:
                return []
            ids = [rng.randint(low, high) for _ in range(size * 3)]
            cursor.execute(
                f"SELECT {columns} FROM {table} WHERE id = ANY(%s) AND {where} LIMIT %s",
                [ids, size],
            )
            return cursor.fetchall()

    orders = random_rows("orders_order", "number, email, customer_id, created_at::date")
    customers = random_rows("orders_customer", "name")
    parcels = random_rows(
        "orders_shipment", "tracking_number", "tracking_number <> '' AND carrier <> ''"
    )
    with connection.cursor() as cursor:
        cursor.execute("SELECT code FROM orders_warehouse ORDER BY code")
        warehouses = [code for (code,) in cursor.fetchall()]

    client = ApiClient.objects.filter(name="bench-reads").first()
    if client is None:
        _, token = platform_services.create_api_client(
            name="bench-reads", scopes=[Scope.ORDERS_READ, Scope.CUSTOMERS_READ]
        )
    else:  # its scans and events refer to it: keep it, with a new token
        token = platform_services.rotate_api_client_token(client=client)
    agent, _ = User.objects.get_or_create(
        username="bench-agent", defaults={"email": "bench-agent@oms.local"}
    )
    agent.groups.add(Group.objects.get(name="agent"))
    client = Client()
    client.force_login(agent)
    return Sample(
        token=token,
        session_cookie=client.cookies["sessionid"].value,
        order_numbers=[row[0] for row in orders],
        emails=[row[1] for row in orders],
        customer_ids=[row[2] for row in orders if row[2]],
        # A rep types a surname, or the start of one: the last word of a customer's name.
        names=[row[0].split()[-1] for row in customers if row[0].split()],
        tracking_numbers=[row[0] for row in parcels],
        warehouses=warehouses,
        days=sorted({row[3].isoformat() for row in orders}),
        statuses=["confirmed", "shipped", "delivered", "cancelled", "on_hold"],
    )


# The requests: each read is a generator of paths over the sample, endless and deterministic.


def list_paths(sample: Sample, seed: int = 1):
    """The list as integrators and dashboards call it: newest first, with each filter in turn."""
    rng = random.Random(seed)
    while True:
        day = rng.choice(sample.days)
        next_day = (date.fromisoformat(day) + timedelta(days=1)).isoformat()
        filters = rng.choice(
            [
                {},
                {"status": rng.choice(sample.statuses)},
                {"channel": rng.choice(["web", "api", "marketplace", "csr"])},
                {"email": rng.choice(sample.emails)},
                {"customer_id": rng.choice(sample.customer_ids)},
                {"created_after": f"{day}T00:00:00Z", "created_before": f"{next_day}T00:00:00Z"},
                {"warehouse": rng.choice(sample.warehouses)},
            ]
        )
        yield "/api/v1/orders/" + (f"?{urlencode(filters)}" if filters else "")


def detail_paths(sample: Sample, seed: int = 2):
    rng = random.Random(seed)
    while True:
        yield f"/api/v1/orders/{rng.choice(sample.order_numbers)}/"


def search_paths(sample: Sample, seed: int = 3):
    """What reps type: an order number, an email, a surname, a tracking number, in turn."""
    rng = random.Random(seed)
    kinds = [
        lambda: rng.choice(sample.order_numbers),
        lambda: rng.choice(sample.emails),
        lambda: rng.choice(sample.names),
        lambda: rng.choice(sample.tracking_numbers or sample.order_numbers),
    ]
    for kind in itertools.cycle(kinds):
        yield f"/console/search/?q={quote(kind())}"


READS = {"list": list_paths, "detail": detail_paths, "search": search_paths}


def headers_for(read: str, sample: Sample) -> dict[str, str]:
    if read == "search":
        return {"Cookie": f"sessionid={sample.session_cookie}", "HX-Request": "true"}
    return {"Authorization": f"Bearer {sample.token}"}


def request_for(read: str, sample: Sample):
    """The load's request function: each worker draws its own endless sequence of paths."""
    headers = headers_for(read, sample)
    paths_of: dict[int, object] = {}

    def request(session) -> None:
        paths = paths_of.get(id(session))
        if paths is None:
            paths = paths_of[id(session)] = READS[read](sample, seed=len(paths_of) + 100)
        status, body, _ = session.get(next(paths), headers=headers)
        if status != 200:
            raise RuntimeError(f"{read}: HTTP {status} {body[:120]!r}")

    return request


# The raw limit: the application's own SQL, replayed by pgbench.


def capture_sql(read: str, sample: Sample, count: int = CAPTURED_PER_READ) -> list[list[str]]:
    """The statements the application issues for `count` requests of this read, in order, with
    their parameters (Django's test client in this process, on the same database)."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(headers=_client_headers(read, sample), secure=True)
    if read == "search":
        client.cookies["sessionid"] = sample.session_cookie
    captured = []
    paths = READS[read](sample, seed=999)
    for _ in range(count):
        with CaptureQueriesContext(connection) as queries:
            response = client.get(next(paths))
        if response.status_code != 200:
            raise RuntimeError(f"{read}: HTTP {response.status_code} while capturing")
        statements = [q["sql"] for q in queries.captured_queries]
        captured.append([s for s in statements if not _is_transaction_control(s)])
    return captured


def _client_headers(read: str, sample: Sample) -> dict[str, str]:
    headers = headers_for(read, sample)
    headers.pop("Cookie", None)
    return headers


def _is_transaction_control(sql: str) -> bool:
    return re.match(r"\s*(BEGIN|COMMIT|ROLLBACK|SAVEPOINT|RELEASE)\b", sql, re.I) is not None


def pgbench_path() -> str:
    for candidate in PGBENCH_CANDIDATES:
        found = shutil.which(candidate)
        if found:
            return found
    raise RuntimeError("pgbench not found (postgresql-client)")


def raw_limit(
    scripts: list[list[str]], database_url: str, *, clients: int, seconds: float
) -> float:
    """Requests per second PostgreSQL serves for these captured requests: pgbench, one script
    file per request (chosen at random, equal weights), `clients` connections opened once."""
    with tempfile.TemporaryDirectory(prefix="bench-reads-") as folder:
        files = []
        for index, statements in enumerate(scripts):
            path = Path(folder) / f"request-{index}.sql"
            path.write_text("".join(_one_line(s) + ";\n" for s in statements))
            files.append(path)
        command = [
            pgbench_path(),
            "--no-vacuum",
            f"--client={clients}",
            f"--jobs={min(clients, 2)}",
            f"--time={max(1, round(seconds))}",
            *(f"--file={path}" for path in files),
            database_url,
        ]
        output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    match = re.search(r"tps = ([\d.]+) \(without initial connection time\)", output)
    if match is None:
        raise RuntimeError(f"pgbench answered:\n{output}")
    return float(match.group(1))


def _one_line(sql: str) -> str:
    return " ".join(sql.split())


def statements_per_request(scripts: list[list[str]]) -> float:
    return sum(len(s) for s in scripts) / max(1, len(scripts))


@dataclass
class ReadFigures:
    result: load.LoadResult
    raw: float | None
    statements: float


def measure(
    base_url: str,
    database_url: str,
    sample: Sample,
    *,
    reads: list[str],
    clients: list[int],
    seconds: float,
    label: str = "",
) -> list[ReadFigures]:
    """Each read at each client count against the running server, with its raw limit."""
    figures = []
    for read in reads:
        scripts = capture_sql(read, sample)
        for count in clients:
            result = load.run_load(
                f"{read}{label} x{count}",
                request_for(read, sample),
                clients=count,
                seconds=seconds,
                setup=lambda: load.Session(base_url),
            )
            raw = raw_limit(scripts, database_url, clients=count, seconds=seconds)
            figures.append(ReadFigures(result, raw, statements_per_request(scripts)))
    return figures


def print_figures(figures: list[ReadFigures]) -> None:
    load.print_results(
        [f.result for f in figures], raw={f.result.name: f.raw for f in figures if f.raw}
    )
    for f in figures:
        print(f"  {f.result.name}: {f.statements:.1f} SQL statements per request")


def store_label(database_url: str) -> str:
    """ "100k", "1M": the store's size from the planner's estimate (no count(*))."""
    import psycopg2

    connection = psycopg2.connect(database_url)
    with connection, connection.cursor() as cursor:
        cursor.execute("SELECT reltuples FROM pg_class WHERE relname = 'orders_order'")
        row = cursor.fetchone()
    connection.close()
    orders = int(row[0]) if row and row[0] > 0 else 0
    if orders >= 950_000:
        return f"{orders / 1_000_000:.0f}M"
    if orders >= 1000:
        return f"{orders / 1000:.0f}k"
    return str(orders)


def stores(ctx) -> list[str]:
    """The seeded stores to read: BENCH_STORES (database names, comma-separated, each made by
    `seed_bulk --orders N`), else a 100,000-order store next to the run's database, seeded on
    the first run (20,000 orders with --quick)."""
    names = [n.strip() for n in os.environ.get("BENCH_STORES", "").split(",") if n.strip()]
    if names:
        return [_url_of(ctx.database_url, name) for name in names]
    if store_label(ctx.database_url)[-1:] in ("k", "M"):
        return [ctx.database_url]  # the run's own database is a seeded store: read it
    orders = 20_000 if ctx.quick else 100_000
    url = f"{ctx.database_url}_store_{orders // 1000}k"
    harness.ensure_database(url)
    if store_label(url) == "0":
        env = {**ctx.env, "DATABASE_URL": url}
        manage = [str(harness.VENV_BIN / "python"), "manage.py"]
        subprocess.run(
            [*manage, "migrate", "--noinput", "-v0"], cwd=harness.ROOT, env=env, check=True
        )
        subprocess.run(
            [*manage, "seed_bulk", "--orders", str(orders)], cwd=harness.ROOT, env=env, check=True
        )
    return [url]


def main(ctx) -> None:
    """`python -m bench --only reads`: each store (see stores()) behind its own server."""
    clients = [4] if ctx.quick else [1, 4]
    for database_url in stores(ctx):
        label = f" {store_label(database_url)}"
        _use_database(database_url)
        sample = make_sample()
        with own_server(ctx, database_url, worker_concurrency=1) as base_url:
            figures = measure(
                base_url,
                database_url,
                sample,
                reads=list(READS),
                clients=clients,
                seconds=ctx.seconds(10),
                label=label,
            )
        for f in figures:
            ctx.results.append(f.result)
            if f.raw:
                ctx.raw[f.result.name] = f.raw
            ctx.notes.append(f"{f.result.name}: {f.statements:.1f} SQL statements per request")
    _use_database(ctx.database_url)


WEB_SETTINGS = (
    "DB_POOL",
    "DB_POOL_MIN_SIZE",
    "DB_POOL_MAX_SIZE",
    "DB_POOL_TIMEOUT",
    "DB_CONN_MAX_AGE",
)


def server_for(ctx, database_url: str, worker_concurrency: int):
    """A server like the run's own (same web settings: connection pool, workers) on another
    database."""
    from bench.server import Server

    web_env = {k: v for k, v in ctx.server.web_env.items() if k in WEB_SETTINGS}
    return Server(
        {**ctx.env, "DATABASE_URL": database_url},
        workers=ctx.args.workers,
        worker_concurrency=worker_concurrency,
        web_env=web_env,
    )


@contextmanager
def own_server(ctx, database_url: str, worker_concurrency: int):
    """The run's server when the store is the run's database, else one of its own."""
    if database_url == ctx.database_url:
        yield ctx.base_url
        return
    with server_for(ctx, database_url, worker_concurrency) as server:
        yield server.base_url


def _url_of(database_url: str, name: str) -> str:
    return database_url.rsplit("/", 1)[0] + "/" + name


def _use_database(database_url: str) -> None:
    """Point this process's Django connection at another database (the bench's own process
    reads the store to draw its sample and capture the SQL)."""
    from django.db import connections

    connection = connections["default"]
    connection.close()
    connection.settings_dict["NAME"] = database_url.rsplit("/", 1)[1]


def cli() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database", required=True, help="a seeded store")
    parser.add_argument("--reads", default="list,detail,search")
    parser.add_argument("--clients", default="1,4")
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--pool", action="store_true", help="DB_POOL=true for the web server")
    args = parser.parse_args()
    if "bench" not in args.database:
        parser.error("the database's name must contain 'bench'")
    database_url = f"postgres://postgres@127.0.0.1:5432/{args.database}"
    setup_django(database_url)
    sample = make_sample()
    from django.db import connection

    from bench.server import Server

    connection.close()
    env = harness.configure_environment()
    web_env = {"DB_POOL": "true"} if args.pool else None
    with Server(env, workers=args.workers, worker_concurrency=1, web_env=web_env) as server:
        print(f"machine: {harness.machine_description()}; store {args.database}")
        print(f"server: {server.description}")
        figures = measure(
            server.base_url,
            database_url,
            sample,
            reads=args.reads.split(","),
            clients=[int(c) for c in args.clients.split(",")],
            seconds=args.seconds,
            label=f" {store_label(database_url)}",
        )
    print_figures(figures)


if __name__ == "__main__":
    cli()
