"""Order placement: `POST /api/v1/orders/` at 1, 4 and 16 clients, and its raw PostgreSQL limit.

Every request places a 3-line order with a fresh Idempotency-Key: the three SKUs are drawn from
a catalogue whose every variant is stocked in exactly one of three warehouses, so an order
allocates from two or three warehouses (three shipments when all differ), authorizes the
sandbox card payment, confirms, records its events and writes its outbox messages — everything
the production request does.

The raw limit (`raw_script`): one placement is run in-process with every statement captured
(text, parameters, the transaction boundaries, and what each statement returned); the capture
becomes a pgbench script in which the values one order makes unique (ids returned by INSERT ...
RETURNING, the order number from the sequence, the Idempotency-Key, the sandbox charge
reference, uuids) are pgbench variables, so pgbench replays the same statements, the same
transactions and the same round trips, without Python, at the same client counts.
"""

from __future__ import annotations

import random
import re
import shutil
import subprocess
import uuid
from dataclasses import dataclass
from pathlib import Path

from bench.load import LoadResult, Session, load_average, run_load

PATH = "/api/v1/orders/"
WAREHOUSES = [("P2EAST", "NJ", 1), ("P2WEST", "CA", 2), ("P2SOUTH", "TX", 3)]
VARIANTS = 300
ON_HAND = 100_000_000
PGBENCH = next(
    (
        p
        for p in (
            shutil.which("pgbench"),
            "/usr/lib/postgresql/16/bin/pgbench",
            "/usr/lib/postgresql/15/bin/pgbench",
        )
        if p and Path(p).exists()
    ),
    None,
)


@dataclass
class Catalogue:
    token: str
    skus: list[str]


def prepare() -> Catalogue:
    """Warehouses, variants with plenty of stock, and an API client (Django must be set up)."""
    spread_ids()
    from oms.models import ApiClient, Scope
    from oms.services import create_api_client, rotate_api_client_token
    from orders.models import Product, Stock, Variant, Warehouse

    warehouses = []
    for code, region, priority in WAREHOUSES:
        warehouse, _ = Warehouse.objects.update_or_create(
            code=code,
            defaults={"name": f"Bench {code}", "region": region, "priority": priority},
        )
        warehouses.append(warehouse)
    product, _ = Product.objects.get_or_create(
        slug="bench-placement", defaults={"name": "Bench placement tee"}
    )
    skus = [f"P2-{i:04d}" for i in range(VARIANTS)]
    existing = set(Variant.objects.filter(sku__in=skus).values_list("sku", flat=True))
    Variant.objects.bulk_create(
        Variant(product=product, sku=sku, name=f"Bench tee {sku}", price="19.90", currency="USD")
        for sku in skus
        if sku not in existing
    )
    variants = Variant.objects.filter(sku__in=skus).order_by("sku")
    have = set(Stock.objects.filter(variant__in=variants).values_list("variant_id", flat=True))
    Stock.objects.bulk_create(
        Stock(variant=v, warehouse=warehouses[i % len(warehouses)], on_hand=ON_HAND)
        for i, v in enumerate(variants)
        if v.pk not in have
    )
    from django.db.models import F

    Stock.objects.filter(variant__in=variants).update(on_hand=F("allocated") + ON_HAND)
    client = ApiClient.objects.filter(name="bench-placement").first()
    if client is None:
        _client, token = create_api_client(
            name="bench-placement", scopes=[Scope.ORDERS_READ, Scope.ORDERS_WRITE]
        )
    else:
        token = rotate_api_client_token(client=client)
        ApiClient.objects.filter(pk=client.pk).update(is_active=True)
    return Catalogue(token=token, skus=skus)


def order_body(skus: list[str], rng: random.Random) -> dict:
    n = rng.randrange(1_000_000_000)
    return {
        "channel": "web",
        "customer": {"email": f"shopper{n % 50_000}@example.com", "name": "Bench Shopper"},
        "shipping_address": {
            "name": "Bench Shopper",
            "line1": f"{n % 999 + 1} Main St",
            "city": "Newark",
            "region": "NJ",
            "postal_code": "07102",
            "country": "US",
        },
        "lines": [{"sku": sku, "quantity": rng.randint(1, 3)} for sku in rng.sample(skus, 3)],
        "payment": {"gateway": "sandbox", "token": "4242424242424242"},
    }


def place_request(catalogue: Catalogue):
    """The load generator's request: one order per call, with a fresh Idempotency-Key."""
    rng = random.Random()

    def request(session: Session) -> None:
        body = order_body(catalogue.skus, rng)
        session.post_ok(PATH, json=body, headers={"Idempotency-Key": uuid.uuid4().hex})

    return request


def run(base_url: str, catalogue: Catalogue, clients: int, seconds: float) -> LoadResult:
    headers = {"Authorization": f"Bearer {catalogue.token}"}
    return run_load(
        f"placement c={clients}",
        place_request(catalogue),
        clients=clients,
        seconds=seconds,
        warmup=min(3.0, seconds / 3),
        setup=lambda: Session(base_url, headers=headers),
    )


# --- capture: the statements one placement issues ---------------------------------------------


@dataclass
class Statement:
    sql: str  # with its parameters inlined, as psycopg2 sends it
    params: object
    returned: list[tuple]
    kind: str = "sql"  # or "begin" / "commit" / "rollback"


def _inline(raw_cursor, sql: str, params) -> str:
    if params is None:
        return sql
    text = raw_cursor.mogrify(sql, params)
    return text.decode() if isinstance(text, bytes) else text


def capture_placement(catalogue: Catalogue, body: dict) -> tuple[list[Statement], dict]:
    """Place one order through the API in-process and record every statement it sends."""
    from django.db import connection
    from django.test import Client

    statements: list[Statement] = []

    def wrapper(execute, sql, params, many, context):
        raw_cursor = context["cursor"].cursor
        # psycopg2 and psycopg 3's client-side cursor (Django's default) both inline the
        # parameters exactly as they send them.
        if many:
            text = ";\n".join(_inline(raw_cursor, sql, p) for p in params)
        else:
            text = _inline(raw_cursor, sql, params)
        result = execute(sql, params, many, context)
        returned: list[tuple] = []
        if raw_cursor.description is not None:
            try:
                returned = raw_cursor.fetchall()
                raw_cursor.scroll(0, mode="absolute")
            except Exception:  # noqa: BLE001 - nothing to read back
                returned = []
        statements.append(Statement(text, params, returned))
        return result

    original_set_autocommit = connection._set_autocommit
    original_commit = connection._commit
    original_rollback = connection._rollback

    def set_autocommit(autocommit):
        if not autocommit:
            statements.append(Statement("BEGIN", None, [], "begin"))
        return original_set_autocommit(autocommit)

    def commit():
        statements.append(Statement("COMMIT", None, [], "commit"))
        return original_commit()

    def rollback():
        statements.append(Statement("ROLLBACK", None, [], "rollback"))
        return original_rollback()

    key = "capture-" + uuid.uuid4().hex
    client = Client()
    connection.ensure_connection()
    connection._set_autocommit = set_autocommit
    connection._commit = commit
    connection._rollback = rollback
    try:
        with connection.execute_wrapper(wrapper):
            response = client.post(
                PATH,
                body,
                content_type="application/json",
                headers={"Authorization": f"Bearer {catalogue.token}", "Idempotency-Key": key},
            )
    finally:
        del connection._set_autocommit, connection._commit, connection._rollback
    if response.status_code != 201:
        raise RuntimeError(f"capture: {response.status_code} {response.content[:500]!r}")
    return statements, {"idempotency_key": key, "order": response.json()}


# --- the pgbench script -----------------------------------------------------------------------

UUID_RE = re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b")
HEX_UUID_RE = re.compile(r"(?<=')[0-9a-f]{32}(?='::uuid)")
SBX_RE = re.compile(r"sbx_[0-9a-f]{20}")


def raw_script(statements: list[Statement], info: dict) -> str:
    """The captured statements as a pgbench script (simple protocol, as psycopg2 sends them).

    Values unique to the captured order become variables: what INSERT ... RETURNING and the
    order-number sequence returned is read with \\gset and replaces its literal (whole tokens)
    in the later statements; the Idempotency-Key, uuids and sandbox references become fresh
    random strings made by one SELECT at the start of the script (one extra round trip, so
    the raw limit is slightly understated). `prepare` spreads each table's ids over its own
    range, so an id returned by one table cannot be mistaken for another table's id.
    """
    fresh: dict[str, tuple[str, str]] = {}  # literal -> (variable, SQL expression)
    returned: dict[str, str] = {}  # literal -> variable set by \\gset

    def fresh_var(literal: str, expression: str) -> str:
        if literal not in fresh:
            fresh[literal] = (f"f{len(fresh)}", expression)
        return fresh[literal][0]

    key = info["idempotency_key"]
    body = []
    for index, st in enumerate(statements):
        if st.kind != "sql":
            body.append(st.sql + ";")
            continue
        text = st.sql.strip().rstrip(";")
        # Unique strings first (they may contain digits that look like ids).
        text = text.replace(key, f":{fresh_var(key, "'capture-' || md5(random()::text)")}")
        for literal in sorted(set(SBX_RE.findall(text))):
            var = fresh_var(literal, "'sbx_' || left(md5(random()::text), 20)")
            text = text.replace(literal, f":{var}")
        for literal in sorted(set(UUID_RE.findall(text))):
            text = text.replace(literal, f":{fresh_var(literal, 'gen_random_uuid()::text')}")
        for literal in sorted(set(HEX_UUID_RE.findall(text))):  # psycopg 3: uuid.hex
            var = fresh_var(literal, "replace(gen_random_uuid()::text, '-', '')")
            text = text.replace(literal, f":{var}")
        # Values returned earlier (ids, the order number): as whole tokens only.
        for literal, var in sorted(returned.items(), key=lambda kv: -len(kv[0])):
            text = re.sub(rf"(?<![\w.]){re.escape(literal)}(?![\w.])", f":{var}", text)
        # pgbench skips "::" (a cast), so a variable right after a colon inside a literal
        # ('order:<id>:authorize') is split out of the literal.
        text = re.sub(r"(?<=:):([rf]\d+(?:_\d+)*)\b", r"' || ':\1' || '", text)
        text = " ".join(text.split())  # pgbench: one statement per line
        generates = re.search(r"(?i)\bRETURNING\b|nextval\(", text)
        if st.returned and generates:
            width = len(st.returned[0])
            columns = ", ".join(f"c{c}" for c in range(width))
            picks = []
            for row_number, row in enumerate(st.returned):
                for column, value in enumerate(row):
                    var = f"r{index}_{row_number}_{column}"
                    picks.append(f"(array_agg(c{column}))[{row_number + 1}] AS {var}")
                    literal = str(value)
                    keyable = isinstance(value, (int, str)) and not isinstance(value, bool)
                    if keyable and len(literal) >= 2 and literal not in fresh:
                        returned[literal] = var
            body.append(f"WITH x({columns}) AS ({text}) SELECT {', '.join(picks)} FROM x")
            body.append("\\gset")
        else:
            body.append(text + ";")
    lines = []
    if fresh:
        selects = ", ".join(f"{expression} AS {var}" for var, expression in fresh.values())
        lines += [f"SELECT {selects}", "\\gset"]
    return "\n".join(lines + body) + "\n"


REFERENCE_PARTS = [
    r"nextval\('orders_order_number_seq'\)",
    r'^WITH x\(c0\) AS \(INSERT INTO "orders_order" ',
    r'INSERT INTO "orders_orderline" ',
    r'^UPDATE "orders_stock" ',
    r'INSERT INTO "orders_orderevent" ',
]


def reference_script(script: str) -> str:
    """The issue's reference transaction cut from a placement's script: 1 order, 3 lines,
    3 stock updates and 1 event in one transaction (its figure: ~1,280/s at 8 clients on a
    2-core machine), made of the app's own statements."""
    units, lines = [], script.splitlines()
    for number, line in enumerate(lines):
        if line.startswith("\\gset"):
            continue
        gset = number + 1 < len(lines) and lines[number + 1].startswith("\\gset")
        units.append((line, lines[number + 1] if gset else None))
    chosen = ["BEGIN;"]
    for pattern in REFERENCE_PARTS:
        line, gset = next(u for u in units if re.search(pattern, u[0]))
        chosen += [line] + ([gset] if gset else [])
    chosen.append("COMMIT;")
    return "\n".join(chosen) + "\n"


def spread_ids(step: int = 10_000_000) -> None:
    """Give every table's id sequence its own range (bench database only), so the raw script's
    id substitution cannot confuse two tables' ids."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT s.relname FROM pg_class s WHERE s.relkind = 'S' "
            "AND s.relname NOT LIKE 'orders_order_number_seq' ORDER BY s.relname"
        )
        sequences = [row[0] for row in cursor.fetchall()]
        for position, name in enumerate(sequences, start=1):
            cursor.execute(f'SELECT last_value FROM "{name}"')
            if cursor.fetchone()[0] < step:
                cursor.execute("SELECT setval(%s, %s)", [f'"{name}"', position * step])


def run_pgbench(
    database_url: str,
    scripts: list[str],
    clients: int,
    seconds: float,
    workdir: Path,
    name: str = "placement",
) -> dict:
    """Replay the scripts (one picked at random per transaction); returns transactions per
    second and the latency average (ms)."""
    if PGBENCH is None:
        raise RuntimeError("pgbench not found (PATH, /usr/lib/postgresql/*/bin)")
    files = []
    for number, script in enumerate(scripts):
        path = workdir / f"{name}-{number:02d}.sql"
        path.write_text(script)
        files += ["-f", str(path)]
    command = [
        PGBENCH,
        "-n",
        "-M",
        "simple",
        *files,
        "-c",
        str(clients),
        "-j",
        str(min(clients, 2)),
        "-T",
        str(int(seconds)),
        database_url,
    ]
    completed = subprocess.run(command, capture_output=True, text=True, check=False)
    output = completed.stdout + completed.stderr
    tps = re.search(r"tps = ([\d.]+)", output)
    latency = re.search(r"latency average = ([\d.]+) ms", output)
    failed = re.search(r"number of failed transactions: (\d+)", output)
    if completed.returncode != 0 or tps is None:
        raise RuntimeError(f"pgbench failed ({completed.returncode}):\n{output[-3000:]}")
    return {
        "tps": float(tps.group(1)),
        "latency_ms": float(latency.group(1)) if latency else float("nan"),
        "failed": int(failed.group(1)) if failed else 0,
        "output": output,
    }


def capture(catalogue: Catalogue, count: int = 50) -> list[tuple[list[Statement], dict]]:
    """Capture `count` returning customers' orders, each on its own three SKUs, so the raw
    replay spreads its stock locks the way random orders do (pgbench picks one of the scripts
    at random for each transaction). For each, a first placement creates the customer and
    remembers the address; the captured second one must not insert them again."""
    captured = []
    skus = catalogue.skus
    for index in range(count):
        rng = random.Random(index)
        body = order_body(skus, rng)
        chosen = skus[(3 * index) % len(skus) : (3 * index) % len(skus) + 3]
        body["lines"] = [{"sku": sku, "quantity": rng.randint(1, 3)} for sku in chosen]
        capture_placement(catalogue, body)
        captured.append(capture_placement(catalogue, body))
    return captured


def main(ctx) -> None:
    catalogue = prepare()
    captured = capture(catalogue, count=10 if ctx.quick else 50)
    scripts = [raw_script(statements, info) for statements, info in captured]
    statements = captured[0][0]
    sql = [s for s in statements if s.kind == "sql"]
    commits = sum(1 for s in statements if s.kind == "commit")
    ctx.notes.append(
        f"placement: one request = {len(sql)} statements in {commits} transactions; raw limit = "
        f"pgbench -M simple replaying {len(scripts)} captured placements "
        f"(scripts in {ctx.workdir} during the run; --keep-scripts DIR keeps them)"
    )
    keep = getattr(ctx.args, "keep_scripts", None)
    clients = [int(c) for c in str(ctx.args.clients).split(",") if c.strip()]
    for count in clients:
        cpu_before = ctx.server.cpu()
        result = run(ctx.base_url, catalogue, count, ctx.seconds(ctx.args.seconds))
        cpu_after = ctx.server.cpu()
        orders = max(1, result.total_requests)  # warm-up included, as in the CPU
        cpu_ms = {k: (cpu_after[k] - cpu_before[k]) * 1000 / orders for k in cpu_after}
        ctx.notes.append(
            f"{result.name}: CPU per order: web {cpu_ms['web']:.1f} ms, "
            f"worker {cpu_ms['worker']:.1f} ms"
        )
        ctx.results.append(result)
        raw = run_pgbench(
            ctx.database_url, scripts, count, max(3, ctx.seconds(ctx.args.seconds)), ctx.workdir
        )
        ctx.raw[result.name] = raw["tps"]
        print(
            f"  c={count}: {result.throughput:.1f} orders/s, p99 {result.p99_ms:.1f} ms, "
            f"{result.errors} errors; raw {raw['tps']:.1f}/s "
            f"({raw['latency_ms']:.1f} ms, {raw['failed']} failed); load {result.load_average}",
            flush=True,
        )
    reference = [reference_script(script) for script in scripts]
    raw = run_pgbench(
        ctx.database_url, reference, 8, max(3, ctx.seconds(10)), ctx.workdir, name="reference"
    )
    ctx.notes.append(
        f"reference transaction (1 order, 3 lines, 3 stock updates, 1 event, one commit; the "
        f"issue's ~1,280/s at 8 clients): {raw['tps']:.1f}/s at 8 clients here, "
        f"load {load_average()}"
    )
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        for number, script in enumerate(reference):
            (Path(keep) / f"reference-{number:02d}.sql").write_text(script)
        for number, script in enumerate(scripts):
            (Path(keep) / f"placement-{number:02d}.sql").write_text(script)
