"""Server-sent event streams over the live log: replay after Last-Event-ID, topics, wake-ups by
Redis or polling, no idle database connection, who may listen; and, end to end, a change made
by a real worker reaching a real SSE client that reconnects without losing anything."""

import asyncio
import json
import time

import pytest
from asgiref.sync import sync_to_async
from django.conf import settings
from django.contrib.auth.models import User
from django.db import connection, connections
from django.test import AsyncClient, override_settings

from notifications import streams
from notifications.channels import live
from notifications.models import LiveEvent
from orders import links
from orders.models import Order

pytestmark = pytest.mark.django_db(transaction=True)


def append(topic: str, event_type: str = "order.held", **payload) -> LiveEvent:
    return live.append(topic=topic, event_type=event_type, payload=payload, delivery=None)


def parse(chunks: list[str]) -> list[dict]:
    """The SSE messages (id, event, data) in what a stream yielded; comments left out."""
    messages = []
    for block in "".join(chunks).split("\n\n"):
        fields = dict(line.split(": ", 1) for line in block.splitlines() if ": " in line)
        if "id" in fields:
            messages.append(
                {
                    "id": int(fields["id"]),
                    "event": fields["event"],
                    "data": json.loads(fields["data"]),
                }
            )
    return messages


def run_stream(*args, **kwargs) -> list[str]:
    async def consume():
        return [chunk async for chunk in streams.event_stream(*args, **kwargs)]

    return asyncio.run(consume())


def run_while_appending(topics, last_id, appends, **kwargs) -> tuple[list[str], list[float]]:
    """Run a stream, append events once it is positioned, and return what it yielded with the
    delay between each append's commit and its arrival."""

    async def scenario():
        chunks: list[str] = []
        arrivals: dict[int, float] = {}

        async def consume():
            async for chunk in streams.event_stream(topics, last_id, **kwargs):
                chunks.append(chunk)
                for message in parse([chunk]):
                    arrivals[message["id"]] = time.monotonic()

        task = asyncio.create_task(consume())
        while not chunks:  # the retry hint comes once the stream knows where it starts
            await asyncio.sleep(0.01)
        committed = {}
        for topic, event_type in appends:
            event = await sync_to_async(append, thread_sensitive=False)(topic, event_type)
            committed[event.pk] = time.monotonic()
            await asyncio.sleep(0.2)
        await task
        delays = [arrivals[pk] - at for pk, at in committed.items() if pk in arrivals]
        return chunks, delays

    return asyncio.run(scenario())


@pytest.fixture(autouse=True)
def fresh_publisher(monkeypatch):
    """live.publish keeps one client per process; a test that changes REDIS_URL needs its own."""
    monkeypatch.setattr(live, "_redis_client", None)


@pytest.fixture
def polling(settings):
    settings.REDIS_URL = ""


def test_stream_replays_events_after_last_event_id_in_order_and_only_its_topics(polling):
    first = append("order:A", "order.confirmed", order={"number": "A"})
    second = append("order:A", "order.held", order={"number": "A"})
    append("order:B", "order.held", order={"number": "B"})
    append("staff", "order.held", order={"number": "A"})
    third = append("order:A", "order.released", order={"number": "A"})

    chunks = run_stream(["order:A"], first.pk, max_seconds=0.3, poll_interval=0.05)

    assert chunks[0] == f"retry: {streams.RETRY_MILLISECONDS}\n\n"
    messages = parse(chunks)
    assert [m["id"] for m in messages] == [second.pk, third.pk]
    assert [m["event"] for m in messages] == ["order.held", "order.released"]
    assert messages[0]["data"] == {
        "topic": "order:A",
        "event_type": "order.held",
        "payload": {"order": {"number": "A"}},
    }


def test_stream_without_last_event_id_sends_only_new_events(polling):
    append("order:A", "order.confirmed")

    chunks, _ = run_while_appending(
        ["order:A"],
        None,
        [("order:B", "order.held"), ("order:A", "order.held")],
        max_seconds=1.5,
        poll_interval=0.05,
    )

    messages = parse(chunks)
    assert [m["event"] for m in messages] == ["order.held"]
    assert messages[0]["data"]["topic"] == "order:A"


def test_stream_polls_the_log_without_redis(polling):
    chunks, delays = run_while_appending(
        ["staff"], None, [("staff", "order.held")] * 3, max_seconds=2, poll_interval=0.1
    )

    assert len(parse(chunks)) == 3
    assert max(delays) < 1


@pytest.mark.skipif(not settings.REDIS_URL, reason="needs Redis (set REDIS_URL); CI runs it")
def test_redis_wakes_the_stream_without_waiting_for_a_poll():
    # Polling and keepalives far apart: only a pub/sub wake-up can deliver within the run.
    chunks, delays = run_while_appending(
        ["order:A"],
        None,
        [("order:A", "order.held"), ("order:A", "order.released")],
        max_seconds=2.5,
        heartbeat=60,
        poll_interval=60,
    )

    assert [m["event"] for m in parse(chunks)] == ["order.held", "order.released"]
    assert max(delays) < 1


@override_settings(REDIS_URL="redis://127.0.0.1:1/0")  # nothing listens there
def test_stream_falls_back_to_polling_while_redis_is_unreachable():
    chunks, delays = run_while_appending(
        ["order:A"], None, [("order:A", "order.held")], max_seconds=2, poll_interval=0.1
    )

    assert [m["event"] for m in parse(chunks)] == ["order.held"]
    assert max(delays) < 1


def test_stream_sends_keepalives_while_idle(polling):
    chunks = run_stream(["order:A"], None, heartbeat=0.2, max_seconds=0.7, poll_interval=0.05)

    assert ": keepalive\n\n" in chunks
    assert parse(chunks) == []


def test_last_event_id_beyond_the_log_resumes_from_its_end(polling):
    """A log that was reset must not silence the browser until ids catch up."""
    append("order:A")

    chunks, _ = run_while_appending(
        ["order:A"], 10**9, [("order:A", "order.released")], max_seconds=1, poll_interval=0.05
    )

    assert [m["event"] for m in parse(chunks)] == ["order.released"]


def test_a_large_backlog_is_sent_in_batches_in_order(polling):
    events = [append("order:A") for _ in range(streams.BATCH + 5)]

    messages = parse(run_stream(["order:A"], 0, max_seconds=0.3, poll_interval=0.05))

    assert [m["id"] for m in messages] == [e.pk for e in events]


@pytest.mark.postgres
def test_idle_streams_share_one_database_connection_however_many_they_are(polling):
    """Streams hold no connection of their own while they wait: the process's shared log
    reader keeps one, so 20 idle browsers cost one connection, not 20."""

    def connections_to_test_database() -> int:
        try:
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                )
                return cursor.fetchone()[0]
        finally:
            connection.close()

    count = sync_to_async(connections_to_test_database, thread_sensitive=False)

    async def scenario():
        before = await count()
        opened = [
            streams.event_stream(["order:A"], None, heartbeat=30, poll_interval=30)
            for _ in range(20)
        ]
        waiting = []
        for stream in opened:
            assert (await anext(stream)).startswith("retry:")  # has read the log
            waiting.append(asyncio.create_task(anext(stream)))  # now waits for the next poll
        await asyncio.sleep(0.5)
        during = await count()
        for task in waiting:
            task.cancel()
        await asyncio.wait(waiting)
        for stream in opened:
            await stream.aclose()
        return before, during

    before, during = asyncio.run(scenario())

    assert during - before <= 1


# --- the views -------------------------------------------------------------------------------


@pytest.fixture
def short_streams(monkeypatch, polling):
    monkeypatch.setattr(streams, "STREAM_MAX_SECONDS", 0.3)


def get(path: str, *, user: User | None = None, **headers) -> tuple[object, list[str]]:
    async def scenario():
        client = AsyncClient()
        try:
            if user is not None:
                await client.aforce_login(user)
            response = await client.get(path, headers=headers)
            chunks = []
            if response.streaming:
                chunks = [
                    chunk.decode() if isinstance(chunk, bytes) else chunk
                    async for chunk in response.streaming_content
                ]
            return response, chunks
        finally:
            # The test client keeps connections open (no request_finished): close the ones
            # its thread-sensitive calls (login, session) opened.
            await sync_to_async(connections.close_all)()

    return asyncio.run(scenario())


def order_payload(number: str) -> dict:
    return {
        "order": {"number": number, "status": "on_hold", "email": f"{number}@example.com"},
        "event": {"type": "held", "reason": "fraud review", "actor": "csr:alice"},
    }


def test_customer_stream_carries_only_the_token_order_and_nothing_internal(short_streams):
    mine = [
        append("order:A1", "order.held", **order_payload("A1")),
        append("order:A1", "order.released", **order_payload("A1")),
    ]
    append("order:B2", "order.held", **order_payload("B2"))
    append("staff", "order.held", **order_payload("A1"))

    response, chunks = get(f"/track/{links.tracking_token('A1')}/events/", **{"Last-Event-ID": "0"})

    assert response.status_code == 200
    assert response["Content-Type"] == "text/event-stream"
    assert response["Cache-Control"] == "no-cache"
    assert response["X-Accel-Buffering"] == "no"
    messages = parse(chunks)
    assert [m["id"] for m in messages] == [e.pk for e in mine]
    assert {m["event"] for m in messages} == {"tracking"}
    assert messages[0]["data"] == {
        "event_type": "order.held",
        "order": {"number": "A1", "status": "on_hold"},
    }
    assert "B2" not in "".join(chunks)
    assert "fraud review" not in "".join(chunks) and "example.com" not in "".join(chunks)


def test_customer_stream_resumes_from_the_page_render_position(short_streams):
    seen = append("order:A1", "order.confirmed", **order_payload("A1"))
    missed = append("order:A1", "order.held", **order_payload("A1"))

    _, chunks = get(f"/track/{links.tracking_token('A1')}/events/?after={seen.pk}")

    assert [m["id"] for m in parse(chunks)] == [missed.pk]


def test_customer_stream_with_a_forged_token_is_404(short_streams):
    token = links.tracking_token("A1")

    response, chunks = get(f"/track/{token[:-2]}xx/events/")

    assert response.status_code == 404
    assert chunks == []


def test_customer_stream_with_an_expired_token_is_404(short_streams, monkeypatch):
    token = links.tracking_token("A1")
    monkeypatch.setattr(links, "TRACKING_LINK_MAX_AGE", -1)

    response, _ = get(f"/track/{token}/events/")

    assert response.status_code == 404


def test_stream_refuses_a_malformed_last_event_id(short_streams):
    response, _ = get(f"/track/{links.tracking_token('A1')}/events/", **{"Last-Event-ID": "abc"})

    assert response.status_code == 400


def test_anonymous_staff_stream_is_403(short_streams):
    response, chunks = get("/events/stream/")

    assert response.status_code == 403
    assert chunks == []


def test_staff_stream_refuses_users_who_are_not_staff(short_streams):
    customer = User.objects.create_user("customer", password="x")

    response, _ = get("/events/stream/", user=customer)

    assert response.status_code == 403


def test_console_agents_without_admin_access_may_listen(short_streams):
    from django.contrib.auth.models import Group, Permission

    agent = User.objects.create_user("agent-only", password="x")  # not is_staff
    group, _ = Group.objects.get_or_create(name="stream-agents")
    group.permissions.add(Permission.objects.get(codename="use_console"))
    agent.groups.add(group)
    event = append("staff", "order.held", **order_payload("A1"))

    response, chunks = get("/events/stream/?as=live", user=agent, **{"Last-Event-ID": "0"})

    assert response.status_code == 200
    (message,) = parse(chunks)
    assert message["id"] == event.pk
    assert message["event"] == "live"  # ?as=live names every message "live"...
    assert message["data"]["event_type"] == "order.held"  # ...and keeps the type in the data


def test_staff_stream_sends_the_staff_topic_or_the_orders_asked_for(short_streams):
    staff = User.objects.create_user("csr", password="x", is_staff=True)
    shop_wide = append("staff", "order.held", **order_payload("A1"))
    order_only = append("order:A1", "order.held", **order_payload("A1"))
    append("order:B2", "order.held", **order_payload("B2"))

    response, chunks = get("/events/stream/", user=staff, **{"Last-Event-ID": "0"})
    _, order_chunks = get("/events/stream/?order=A1", user=staff, **{"Last-Event-ID": "0"})

    assert response.status_code == 200
    assert [m["id"] for m in parse(chunks)] == [shop_wide.pk]
    assert parse(chunks)[0]["data"]["payload"]["event"]["reason"] == "fraud review"
    assert [m["id"] for m in parse(order_chunks)] == [order_only.pk]


def test_staff_stream_refuses_malformed_order_numbers(short_streams):
    staff = User.objects.create_user("csr", password="x", is_staff=True)

    response, _ = get("/events/stream/?order=../../x", user=staff)

    assert response.status_code == 400


# --- end to end: a real worker, a real server, a real client ----------------------------------


@pytest.mark.postgres
@pytest.mark.real_worker
def test_a_change_made_by_a_real_worker_reaches_a_real_sse_client_and_a_reconnect_replays_what_it_missed(  # noqa: E501
    live_stack, placed_order, open_sse
):
    from oms.actors import Actor
    from orders import services

    actor = Actor.system("tests")
    url = f"{live_stack.base_url}/track/{links.tracking_token(placed_order.number)}/events/"

    client = open_sse(url)
    client.wait_for_open()
    started = time.monotonic()
    services.hold_order(order=placed_order, actor=actor, reason="address check")
    held = client.next_message(timeout=20)
    delay = time.monotonic() - started
    client.close()  # the browser goes away
    assert held is not None, "the change never reached the client"
    print(f"\nchange -> SSE client: {delay * 1000:.0f} ms (worker + Redis wake-up)")
    assert held["event"] == "tracking"
    assert held["data"] == {
        "event_type": "order.held",
        "order": {"number": placed_order.number, "status": "on_hold"},
    }

    # Offline: two more changes happen.
    order = Order.objects.get(pk=placed_order.pk)
    services.release_order(order=order, actor=actor, reason="checked")
    services.hold_order(order=order, actor=actor, reason="second look")
    missed = live_stack.wait_for_live_events(
        f"order:{placed_order.number}", after=held["id"], count=2
    )

    client = open_sse(url, last_event_id=held["id"])
    replayed = [client.next_message(timeout=20), client.next_message(timeout=20)]
    assert client.next_message(timeout=1.5) is None  # exactly what was missed, nothing more
    assert [m["id"] for m in replayed] == [e.pk for e in missed]
    assert [m["data"]["event_type"] for m in replayed] == ["order.released", "order.held"]
