"""Committed change → server-sent-event client latency with 100 connected clients, on the run's
server and worker (the measurement itself is bench/realtime.py's: hold/release commits at a
steady rate, every client timestamps every event it receives).

    python -m bench --only live
"""

import asyncio

from bench import harness, realtime
from bench.load import LoadResult, load_average

CLIENTS = 100


def main(ctx) -> None:
    from django.db import connection

    from notifications.models import WebhookEndpoint

    WebhookEndpoint.objects.update(is_active=False)  # a previous run's sink is gone
    order, token = realtime.make_order()
    connection.close()
    events, rate = (100, 20.0) if ctx.quick else (600, 20.0)
    latencies = asyncio.run(
        realtime.measure_latency(ctx.base_url, token, order, CLIENTS, events, rate)
    )
    p = harness.percentile
    seconds = events / rate
    ctx.results.append(
        LoadResult(
            name=f"live SSE x{CLIENTS}",
            clients=CLIENTS,
            seconds=seconds,
            requests=len(latencies),
            errors=CLIENTS * events - len(latencies),
            throughput=len(latencies) / seconds,
            p50_ms=p(latencies, 0.50),
            p95_ms=p(latencies, 0.95),
            p99_ms=p(latencies, 0.99),
            max_ms=latencies[-1] if latencies else float("nan"),
            load_average=load_average(),
        )
    )
    ctx.notes.append(
        f"live: {events} committed changes at {rate:g}/s to {CLIENTS} SSE clients: "
        f"{len(latencies)} events received (the req/s column); commit -> client "
        f"p95 {p(latencies, 0.95):.0f} ms (target < 250 ms); errors = events not received "
        f"within 30 s"
    )
