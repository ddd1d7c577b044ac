"""Server-sent event streams over the live event log.

One shape for both ways the app runs (docs: DESIGN.md, "Real-time"): a stream always reads the
committed log (notifications.models.LiveEvent, whose id is the SSE event id and the
`Last-Event-ID` a reconnecting browser resumes from); Redis pub/sub only tells it when to look.
Without Redis (`make run`) the stream polls the log every second, so an event written by another
process (a worker, a carrier simulator) still reaches the browser.

Database connections: a stream may stay open for minutes while nothing happens, so it must not
hold a connection while it waits. Each read runs in a worker thread (sync_to_async with
thread_sensitive=False: the loop's bounded pool, not one thread per stream) and closes its
connection before returning. Views call `release_request_connections()` before streaming, for
the connection the request itself used (session, user).

Redis: one subscription per process (per event loop), shared by every stream it serves, rather
than one connection per open browser tab. The listener wakes only the streams whose topics the
message names; each stream then re-reads the log, so a lost or forged message costs at most a
query. Streams re-read the log at every heartbeat too, and poll while the listener is down.
"""

import asyncio
import json
import logging
import weakref
from collections import deque
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import suppress

import redis.asyncio as aioredis
from asgiref.sync import sync_to_async
from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import DatabaseError, connections
from django.http import HttpRequest, StreamingHttpResponse
from django.utils.translation import gettext as _
from redis.exceptions import RedisError

from notifications import selectors
from notifications.channels.live import LIVE_CHANNEL
from notifications.models import LiveEvent

logger = logging.getLogger(__name__)

HEARTBEAT_SECONDS = 15.0  # below common proxy idle timeouts (nginx: 60 s)
POLL_SECONDS = 1.0  # without Redis, or while it is unreachable
RETRY_MILLISECONDS = 3000  # the browser's reconnection delay (the SSE `retry:` field)
BATCH = 100
SUBSCRIBE_TIMEOUT = 2.0
# Views end their streams after this; the browser reconnects with Last-Event-ID and misses
# nothing, so no stream outlives a deploy for long and no proxy's total timeout cuts one.
STREAM_MAX_SECONDS = 10 * 60
RECONNECT_SECONDS = (0.5, 10.0)  # the listener's backoff, first and longest

Presenter = Callable[[LiveEvent], dict]


def full_event(event: LiveEvent) -> dict:
    """The whole logged event: what staff streams send."""
    return {"topic": event.topic, "event_type": event.event_type, "payload": event.payload}


def format_event(event_id: int, name: str, data: dict) -> str:
    """One SSE message (https://html.spec.whatwg.org/multipage/server-sent-events.html)."""
    body = json.dumps(data, cls=DjangoJSONEncoder, separators=(",", ":"))  # one line: no raw \n
    return f"id: {event_id}\nevent: {name}\ndata: {body}\n\n"


async def event_stream(
    topics: list[str],
    last_id: int | None,
    *,
    heartbeat: float = HEARTBEAT_SECONDS,
    max_seconds: float | None = None,
    poll_interval: float = POLL_SECONDS,
    present: Presenter = full_event,
    event_name: str | None = None,
) -> AsyncIterator[str]:
    """Yield the events on `topics` after `last_id` (None: only events from now on), in order,
    then each new one as it is committed, as SSE text; a keepalive comment when idle.

    `present` turns a logged event into the message's data (a customer's stream sends less than
    staff's); `event_name` names every message (default: the event type). Ends after
    `max_seconds`, when the browser reconnects with Last-Event-ID and misses nothing."""
    loop = asyncio.get_running_loop()
    started = loop.time()
    listener = _listener()
    wakeup = await listener.join(topics) if listener else None
    try:
        latest = await _latest_id()
        # An id from the future (a log that was reset) would silence the stream for good.
        last_id = latest if last_id is None else min(last_id, latest)
        yield f"retry: {RETRY_MILLISECONDS}\n\n"
        last_write = loop.time()
        while True:
            if wakeup is not None:
                wakeup.clear()  # before reading: a wake-up during the read is not lost
            events = await _read(topics, last_id)
            for event in events:
                last_id = event.pk
                yield format_event(event.pk, event_name or event.event_type, present(event))
            now = loop.time()
            if events:
                last_write = now
                if len(events) == BATCH:
                    continue  # more are waiting
            if max_seconds is not None and now - started >= max_seconds:
                return
            if now - last_write >= heartbeat:
                yield ": keepalive\n\n"
                last_write = now
            # Wait for a wake-up, the next keepalive, or (without a live subscription) the
            # next poll; every wait ends in a read of the log.
            is_live = listener is not None and listener.is_live
            timeout = heartbeat - (now - last_write)
            if not is_live:
                timeout = min(timeout, poll_interval)
            if max_seconds is not None:
                timeout = min(timeout, max_seconds - (now - started))
            await _wait(wakeup if is_live else None, max(timeout, 0.0))
    finally:
        if listener is not None and wakeup is not None:
            await listener.leave(wakeup)


class BadStreamRequest(ValueError):
    """A stream request the view answers with 400 (the message says what was wrong)."""


def last_event_id(request: HttpRequest) -> int | None:
    """Where the browser resumes: the Last-Event-ID header (sent by EventSource when it
    reconnects), else `?after=` (the id a page was rendered at), else None (from now on)."""
    raw = request.headers.get("Last-Event-ID") or request.GET.get("after")
    if raw is None or raw == "":
        return None
    if not raw.isdigit():
        raise BadStreamRequest(_("Last-Event-ID must be a non-negative whole number."))
    return int(raw)


def event_stream_response(stream: AsyncIterator[str]) -> StreamingHttpResponse:
    response = StreamingHttpResponse(stream, content_type="text/event-stream")
    response["Cache-Control"] = "no-cache"
    response["X-Accel-Buffering"] = "no"  # nginx: pass each event on at once
    return response


async def release_request_connections() -> None:
    """Close the database connections the request used so far (session, user lookup), before a
    long stream starts: they belong to the request's thread and would otherwise stay open, idle,
    until the stream ends. Runs in that same thread (thread_sensitive)."""
    await sync_to_async(connections.close_all, thread_sensitive=True)()


def _read_log(topics: list[str], after_id: int) -> list[LiveEvent]:
    try:
        return selectors.live_events_after(topics, after_id, limit=BATCH)
    finally:
        connections.close_all()  # never held while the stream waits


def _read_latest_id() -> int:
    try:
        return selectors.latest_live_event_id()
    finally:
        connections.close_all()


_read_from_database = sync_to_async(_read_log, thread_sensitive=False)
_latest_id = sync_to_async(_read_latest_id, thread_sensitive=False)


class _LogTail:
    """The recent end of the live log, read once per change for every stream of the process.

    With many browsers on one process, each wake-up would otherwise cost one query per open
    stream (100 clients: 100 queries per change). Here one read serves them all: a stream asks
    for events after its id, the first asker since the change reads the log's new rows, the
    others wait for that read and filter the cached rows in memory. A stream far behind (a
    reconnect after a long absence) reads the database itself. The tail's reads run on one
    thread that keeps its database connection: one connection per process, not per stream.
    """

    SIZE = 5_000

    def __init__(self) -> None:
        self.events: deque[LiveEvent] = deque(maxlen=self.SIZE)
        self.floor: int | None = None  # the tail holds every event with floor < id <= top
        self.top = 0
        self.read_started_at = -1.0
        self.lock = asyncio.Lock()
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="live-log")

    async def after(self, topics: list[str], after_id: int) -> list[LiveEvent]:
        loop = asyncio.get_running_loop()
        asked_at = loop.time()
        async with self.lock:
            if self.read_started_at < asked_at:  # nobody has read since this stream asked
                self.read_started_at = loop.time()
                await loop.run_in_executor(self.executor, self._read_new_rows)
        if self.floor is None or after_id < self.floor:
            return await _read_from_database(topics, after_id)
        wanted = set(topics)
        return [e for e in self.events if e.pk > after_id and e.topic in wanted][:BATCH]

    def shutdown(self) -> None:
        with suppress(RuntimeError):  # at interpreter exit the pool takes no more work
            self.executor.submit(connections.close_all)
        self.executor.shutdown(wait=False)

    def _read_new_rows(self) -> None:
        for attempt in (1, 2):
            try:
                if self.floor is None:
                    self.floor = self.top = selectors.latest_live_event_id()
                    return
                rows = selectors.live_events_after_any(self.top, limit=self.SIZE)
                break
            except DatabaseError:
                connections.close_all()  # a dropped connection: reconnect once
                if attempt == 2:
                    raise
        for row in rows:
            if len(self.events) == self.SIZE:
                self.floor = self.events[0].pk
            self.events.append(row)
            self.top = row.pk


_tails: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _tail() -> _LogTail:
    loop = asyncio.get_running_loop()
    tail = _tails.get(loop)
    if tail is None:
        tail = _tails[loop] = _LogTail()
        weakref.finalize(loop, tail.shutdown)  # a closed loop's reader lets its connection go
    return tail


async def _read(topics: list[str], after_id: int) -> list[LiveEvent]:
    return await _tail().after(topics, after_id)


async def _wait(wakeup: asyncio.Event | None, timeout: float) -> None:
    if wakeup is None:
        await asyncio.sleep(timeout)
        return
    with suppress(TimeoutError):
        await asyncio.wait_for(wakeup.wait(), timeout)


class _Listener:
    """One Redis subscription to the live channel, shared by the streams of one event loop."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.waiters: dict[asyncio.Event, frozenset[str]] = {}
        self.subscribed = asyncio.Event()
        self.tried = asyncio.Event()  # the first attempt to subscribe succeeded or failed
        self.task: asyncio.Task | None = None

    @property
    def is_live(self) -> bool:
        return self.subscribed.is_set()

    async def join(self, topics: list[str]) -> asyncio.Event:
        """Register a stream; returns once subscribed (or after a short wait if Redis is down,
        the stream then polls), so nothing published after this returns goes unnoticed."""
        wakeup = asyncio.Event()
        self.waiters[wakeup] = frozenset(topics)
        if self.task is None or self.task.done():
            # Each run has its own flags: a run being cancelled must not clear its successor's.
            self.subscribed, self.tried = asyncio.Event(), asyncio.Event()
            self.task = asyncio.create_task(
                self._listen(self.subscribed, self.tried), name="oms-live"
            )
        with suppress(TimeoutError):
            await asyncio.wait_for(self.tried.wait(), SUBSCRIBE_TIMEOUT)
        return wakeup

    async def leave(self, wakeup: asyncio.Event) -> None:
        """Unregister a stream; the last one out closes the subscription."""
        self.waiters.pop(wakeup, None)
        if self.waiters or self.task is None:
            return
        task, self.task = self.task, None
        task.cancel()
        await asyncio.wait({task}, timeout=SUBSCRIBE_TIMEOUT)

    def wake(self, topic: str | None) -> None:
        """Wake the streams on `topic`, or every stream (None)."""
        for wakeup, topics in self.waiters.items():
            if topic is None or topic in topics:
                wakeup.set()

    async def _listen(self, subscribed: asyncio.Event, tried: asyncio.Event) -> None:
        delay = RECONNECT_SECONDS[0]
        while True:
            client = aioredis.Redis.from_url(self.url, socket_connect_timeout=SUBSCRIBE_TIMEOUT)
            pubsub = client.pubsub()
            try:
                await pubsub.subscribe(LIVE_CHANNEL)
                async for message in pubsub.listen():
                    if message["type"] == "subscribe":
                        subscribed.set()
                        tried.set()
                        delay = RECONNECT_SECONDS[0]
                        self.wake(None)  # whatever was published while we were away
                    elif message["type"] == "message":
                        self.wake(_topic_of(message["data"]))
            except (RedisError, OSError) as exc:
                logger.warning("notifications.live_listener_lost", extra={"error": str(exc)})
            finally:
                subscribed.clear()
                tried.set()
                with suppress(RedisError, OSError):
                    await pubsub.aclose()
                    await client.aclose()
            self.wake(None)  # the streams poll until the subscription is back
            await asyncio.sleep(delay)
            delay = min(delay * 2, RECONNECT_SECONDS[1])


def _topic_of(data: bytes | str) -> str | None:
    """The topic a wake-up message names; None (wake everyone) if it names none."""
    try:
        topic = json.loads(data).get("topic")
    except (ValueError, AttributeError):
        return None
    return topic if isinstance(topic, str) else None


# Per event loop (uvicorn runs one per process; tests run several) and per Redis URL.
_listeners: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, _Listener]]" = (
    weakref.WeakKeyDictionary()
)


def _listener() -> _Listener | None:
    if not settings.REDIS_URL:
        return None
    by_url = _listeners.setdefault(asyncio.get_running_loop(), {})
    if settings.REDIS_URL not in by_url:
        by_url[settings.REDIS_URL] = _Listener(settings.REDIS_URL)
    return by_url[settings.REDIS_URL]
