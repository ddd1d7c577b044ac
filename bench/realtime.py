"""Committed change → SSE client latency, and webhook deliveries per second.

    python -m bench.realtime [--clients 100] [--events 1000] [--rate 50] [--webhooks 2000]

Needs PostgreSQL and Redis (BENCH_DATABASE_URL, BENCH_REDIS_URL; defaults: the local servers,
database oms_bench, Redis db 14). Starts the ASGI server (uvicorn) and a Celery worker as
production does, opens N server-sent-event clients on one order's customer stream, commits
status changes (hold/release) at a steady rate from this process, and measures, for every
client and every change, the time from the change's commit to the event's arrival. Then it
points a webhook endpoint at a local sink and measures how many signed deliveries per second
the worker completes. Prints the figures; docs/performance.md records them.
"""

import argparse
import asyncio
import http.server
import threading
import time
from urllib.parse import urlsplit

from bench import harness


def setup_django(env: dict[str, str]) -> None:
    harness.ensure_database(env["DATABASE_URL"])
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from notifications.models import WebhookEndpoint

    WebhookEndpoint.objects.update(is_active=False)  # a previous run's sink is gone


def make_order():
    from oms.actors import Actor
    from orders import services
    from orders.links import tracking_token
    from orders.models import Product, Stock, Variant, Warehouse

    warehouse, _ = Warehouse.objects.get_or_create(
        code="BENCH", defaults={"name": "Bench DC", "region": "NJ", "priority": 1}
    )
    product, _ = Product.objects.get_or_create(slug="bench-tee", defaults={"name": "Bench tee"})
    variant, _ = Variant.objects.get_or_create(
        sku="BENCH-TEE",
        defaults={"product": product, "name": "Bench tee", "price": "10.00", "currency": "USD"},
    )
    stock, _ = Stock.objects.get_or_create(variant=variant, warehouse=warehouse)
    Stock.objects.filter(pk=stock.pk).update(on_hand=stock.allocated + 10)
    order = services.place_order(
        data=services.OrderInput(
            channel="web",
            customer=services.CustomerInput(email="bench@example.com", name="Bench Customer"),
            shipping_address={
                "name": "Bench",
                "line1": "1 Main St",
                "city": "Newark",
                "postal_code": "07102",
                "country": "US",
            },
            lines=[services.LineInput(sku="BENCH-TEE", quantity=1)],
            payment=services.PaymentInput(token="4242424242424242"),
        ),
        actor=Actor.system("bench"),
    )
    return order, tracking_token(order.number)


async def sse_client(
    url: str, received: dict[int, float], ready: asyncio.Event, stop: asyncio.Event
) -> None:
    """A minimal SSE client on asyncio streams: records when each event id arrives."""
    parts = urlsplit(url)
    reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
    writer.write(
        f"GET {parts.path} HTTP/1.1\r\nHost: {parts.netloc}\r\n"
        "Accept: text/event-stream\r\nConnection: keep-alive\r\n\r\n".encode()
    )
    await writer.drain()
    ready.set()
    event_id = None
    try:
        while not stop.is_set():
            raw = await reader.readline()
            if not raw:
                return
            line = raw.decode().rstrip("\r\n")
            if line.startswith("id:"):
                event_id = int(line[3:].strip())
            elif line.startswith("data:") and event_id is not None:
                received[event_id] = time.time()
                event_id = None
    finally:
        writer.close()


def produce_changes(order, count: int, rate: float) -> list[tuple[str, float]]:
    """Hold and release the order `count` times; returns (outbox message id, commit time)."""
    from notifications.models import OutboxMessage
    from oms.actors import Actor
    from orders import services

    actor = Actor.system("bench")
    commits = []
    interval = 1 / rate
    next_at = time.monotonic()
    for index in range(count):
        if index % 2 == 0:
            services.hold_order(order=order, actor=actor, reason=f"bench {index}")
        else:
            services.release_order(order=order, actor=actor, reason=f"bench {index}")
        committed = time.time()
        message_id = (
            OutboxMessage.objects.filter(aggregate_id=order.number)
            .order_by("-created_at")
            .values_list("pk", flat=True)
            .first()
        )
        commits.append((str(message_id), committed))
        next_at += interval
        time.sleep(max(0.0, next_at - time.monotonic()))
    return commits


async def measure_latency(
    base: str, token: str, order, clients: int, events: int, rate: float
) -> list[float]:
    from notifications.models import LiveEvent
    from notifications.routing import order_topic

    url = f"{base}/track/{token}/events/"
    received: list[dict[int, float]] = [{} for _ in range(clients)]
    stop = asyncio.Event()
    readies = [asyncio.Event() for _ in range(clients)]
    tasks = [
        asyncio.create_task(sse_client(url, received[i], readies[i], stop)) for i in range(clients)
    ]
    await asyncio.wait_for(asyncio.gather(*(r.wait() for r in readies)), timeout=60)
    await asyncio.sleep(1.0)
    commits = await asyncio.to_thread(produce_changes, order, events, rate)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if all(len(r) >= events for r in received):
            break
        await asyncio.sleep(0.2)
    stop.set()
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)

    committed_at = dict(commits)

    def live_rows() -> list[tuple[int, str, float]]:
        return [
            (pk, str(message_id), created.timestamp())
            for pk, message_id, created in LiveEvent.objects.filter(
                topic=order_topic(order.number), delivery__message_id__in=list(committed_at)
            ).values_list("pk", "delivery__message_id", "created_at")
        ]

    rows = await asyncio.to_thread(live_rows)
    message_of = {pk: message_id for pk, message_id, _ in rows}
    logged = sorted((created - committed_at[m]) * 1000 for _, m, created in rows)
    p = harness.percentile
    print(
        f"  commit -> live log row written by the worker: p50 {p(logged, 0.5):.1f} ms, "
        f"p95 {p(logged, 0.95):.1f} ms, p99 {p(logged, 0.99):.1f} ms"
    )
    latencies = []
    missing = 0
    for per_client in received:
        for live_id, message_id in message_of.items():
            arrived = per_client.get(live_id)
            if arrived is None:
                missing += 1
                continue
            latencies.append((arrived - committed_at[str(message_id)]) * 1000)
    if missing:
        print(f"  events not received within 30 s: {missing}")
    return sorted(latencies)


class Sink(http.server.BaseHTTPRequestHandler):
    count = 0
    lock = threading.Lock()

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        with Sink.lock:
            Sink.count += 1
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


def measure_webhooks(order, count: int) -> tuple[float, int]:
    """Deliveries per second to a local sink, measured from the first commit to the last
    successful delivery of `count` messages."""
    from notifications.models import Delivery
    from notifications.services import webhooks
    from oms.actors import Actor
    from orders import services

    server = http.server.ThreadingHTTPServer(("127.0.0.1", harness.free_port()), Sink)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    endpoint = webhooks.create_endpoint(
        owner=None,
        url=f"http://127.0.0.1:{server.server_port}/hook",
        event_types=["order.held", "order.released"],
        description="bench sink",
    )
    actor = Actor.system("bench")
    started = time.monotonic()
    for index in range(count):
        if index % 2 == 0:
            services.hold_order(order=order, actor=actor, reason=f"hook {index}")
        else:
            services.release_order(order=order, actor=actor, reason=f"hook {index}")
    deadline = time.monotonic() + 600
    sent = 0
    while time.monotonic() < deadline:
        sent = Delivery.objects.filter(endpoint=endpoint, status=Delivery.Status.SENT).count()
        if sent >= count:
            break
        time.sleep(0.2)
    elapsed = time.monotonic() - started
    server.shutdown()
    return elapsed, sent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clients", type=int, default=100)
    parser.add_argument("--events", type=int, default=1000)
    parser.add_argument("--rate", type=float, default=50, help="status changes per second")
    parser.add_argument("--webhooks", type=int, default=2000, help="0 skips the webhook run")
    parser.add_argument("--worker-concurrency", type=int, default=2)
    args = parser.parse_args()

    env = harness.configure_environment()
    setup_django(env)
    from django.db import connection

    order, token = make_order()
    connection.close()
    port = harness.free_port()
    print(f"machine: {harness.machine_description()}")
    with harness.processes(
        [
            (harness.server_command(port), env),
            (harness.worker_command(args.worker_concurrency), harness.worker_environment(env)),
        ]
    ):
        harness.wait_for_port(port)
        time.sleep(3)  # the worker connects to the broker
        latencies = asyncio.run(
            measure_latency(
                f"http://127.0.0.1:{port}", token, order, args.clients, args.events, args.rate
            )
        )
        p = harness.percentile
        print(
            f"commit -> SSE client: {len(latencies)} deliveries "
            f"({args.clients} clients x {args.events} events at {args.rate:g}/s): "
            f"p50 {p(latencies, 0.50):.1f} ms, p95 {p(latencies, 0.95):.1f} ms, "
            f"p99 {p(latencies, 0.99):.1f} ms, max {latencies[-1] if latencies else 0:.1f} ms"
        )
        if not args.webhooks:
            return
        elapsed, sent = measure_webhooks(order, args.webhooks)
        print(
            f"webhooks: {sent} signed deliveries to a local sink in {elapsed:.1f} s = "
            f"{sent / elapsed:.0f} per second (worker concurrency {args.worker_concurrency})"
        )


if __name__ == "__main__":
    main()
