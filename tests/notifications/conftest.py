"""A real stack for end-to-end stream tests: uvicorn serving the app and a Celery worker, both on
the test database and a Redis database of their own; and a minimal SSE client (stdlib only)."""

import contextlib
import http.client
import json
import os
import queue
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

import pytest
import redis
from django.conf import settings
from kombu import pools as kombu_pools

from notifications.models import Delivery, LiveEvent, OutboxMessage

# A Redis database no other test uses: the worker started here must not take another test's
# tasks, nor leave its own behind. (Pub/sub channels are shared by all databases; streams only
# use them as wake-ups and re-read the log, so other tests' messages cost nothing.)
STREAMS_REDIS_DB = 11
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def database_url() -> str:
    """The test database (pytest-django renamed it) as a DATABASE_URL for child processes."""
    db = settings.DATABASES["default"]
    credentials = quote(db.get("USER") or "postgres")
    if db.get("PASSWORD"):
        credentials += ":" + quote(db["PASSWORD"])
    host = db.get("HOST") or "127.0.0.1"
    port = db.get("PORT") or 5432
    return f"postgres://{credentials}@{host}:{port}/{db['NAME']}"


def redis_url(db: int) -> str:
    base = urlsplit(settings.REDIS_URL or "redis://127.0.0.1:6379/0")
    return urlunsplit((base.scheme, base.netloc, f"/{db}", "", ""))


def wait_until(condition, *, timeout: float, what: str, interval: float = 0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


def start_server(env: dict[str, str], log: Path) -> tuple[subprocess.Popen, str]:
    """uvicorn serving the app on a free port; returns once /healthz answers."""
    port = free_port()
    with log.open("wb") as out:
        server = subprocess.Popen(
            [
                str(BIN / "uvicorn"),
                "oms.asgi:application",
                "--host=127.0.0.1",
                f"--port={port}",
                "--log-level=warning",
                "--timeout-graceful-shutdown=2",
            ],
            cwd=settings.BASE_DIR,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )

    def healthy() -> bool:
        if server.poll() is not None:
            raise AssertionError(f"uvicorn exited:\n{log.read_text()}")
        with contextlib.suppress(OSError):
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", "/healthz")
            return connection.getresponse().status == 200
        return False

    try:
        wait_until(healthy, timeout=30, what="uvicorn to answer /healthz")
    except BaseException:
        stop(server)
        raise
    return server, f"http://127.0.0.1:{port}"


def start_worker(env: dict[str, str], log: Path) -> subprocess.Popen:
    """A Celery worker, one task at a time; returns once it says it is ready."""
    with log.open("wb") as out:
        worker = subprocess.Popen(
            [
                str(BIN / "celery"),
                "-A",
                "oms",
                "worker",
                "--pool=solo",
                "--loglevel=info",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
            ],
            cwd=settings.BASE_DIR,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )

    def ready() -> bool:
        if worker.poll() is not None:
            raise AssertionError(f"celery worker exited:\n{log.read_text()}")
        return " ready." in log.read_text(errors="replace")

    try:
        wait_until(ready, timeout=30, what="the celery worker to be ready")
    except BaseException:
        stop(worker)
        raise
    return worker


@contextlib.contextmanager
def broker(url: str):
    """Point this process's Celery app (and the live publisher) at `url` for a while: tasks are
    sent to the real worker instead of running inline."""
    from notifications.channels import live
    from oms.celery import app

    def reset_connections() -> None:
        # Close every cached broker connection and forget the pools (kombu keeps them in a
        # registry by URL: a pool closed but left registered would be handed out again).
        kombu_pools.reset()
        app._pool = None
        if "amqp" in app.__dict__:
            app.amqp._producer_pool = None
        live._redis_client = None

    previous = (app.conf.broker_url, app.conf.task_always_eager)
    app.conf.broker_url, app.conf.task_always_eager = url, False
    reset_connections()
    try:
        yield
    finally:
        app.conf.broker_url, app.conf.task_always_eager = previous
        reset_connections()


@dataclass
class LiveStack:
    base_url: str
    redis_url: str
    logs: list[Path] = field(default_factory=list)

    def wait_for_live_events(
        self, topic: str, *, after: int, count: int, timeout: float = 20
    ) -> list[LiveEvent]:
        """The worker's next `count` live events on `topic`, once it has written them."""

        def written() -> list[LiveEvent] | None:
            events = list(LiveEvent.objects.filter(topic=topic, pk__gt=after).order_by("pk"))
            return events if len(events) >= count else None

        return wait_until(written, timeout=timeout, what=f"{count} live events on {topic}")

    def wait_until_dispatched(self, timeout: float = 20) -> None:
        """Until the worker has fanned out every outbox message and sent its live updates."""

        def idle() -> bool:
            return (
                not OutboxMessage.objects.filter(dispatched_at__isnull=True).exists()
                and not Delivery.objects.filter(
                    channel=Delivery.Channel.LIVE, status=Delivery.Status.PENDING
                ).exists()
            )

        wait_until(idle, timeout=timeout, what="the worker to dispatch the outbox")


@pytest.fixture
def live_stack(transactional_db, settings, tmp_path):
    """uvicorn + a Celery worker on the test database and Redis database STREAMS_REDIS_DB, with
    this process sending its tasks there too. Needs PostgreSQL (the processes share the
    database) and Redis."""
    if not settings.IS_POSTGRES:
        pytest.skip("needs PostgreSQL (set DATABASE_URL)")
    url = redis_url(STREAMS_REDIS_DB)
    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).flushdb()  # no stale tasks
    except redis.RedisError as exc:
        pytest.fail(f"Redis at {url} is not reachable: {exc}")
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "REDIS_URL": url,
        "DJANGO_SETTINGS_MODULE": "oms.settings",
        "PYTHONUNBUFFERED": "1",
        "LOG_LEVEL": "WARNING",
    }
    settings.REDIS_URL = url
    settings.CELERY_BROKER_URL = url
    processes: list[subprocess.Popen] = []
    logs = [tmp_path / "uvicorn.log", tmp_path / "worker.log"]
    try:
        server, base_url = start_server(env, logs[0])
        processes.append(server)
        processes.append(start_worker(env, logs[1]))
        with broker(url):
            yield LiveStack(base_url=base_url, redis_url=url, logs=logs)
    finally:
        for process in reversed(processes):
            stop(process)
        with contextlib.suppress(redis.RedisError):
            redis.Redis.from_url(url, socket_connect_timeout=2).flushdb()


@pytest.fixture
def placed_order(live_stack):
    """A confirmed order placed through the real services, with everything its placement
    emitted already through the worker (so a stream opened now starts after it)."""
    from oms.actors import Actor
    from orders import services
    from tests.orders.builders import order_input, split_catalog

    order = services.place_order(
        data=order_input([(split_catalog(), 1)]), actor=Actor.system("tests")
    )
    live_stack.wait_until_dispatched()
    return order


class SseClient:
    """Reads a server-sent event stream over a plain HTTP connection, in a thread."""

    def __init__(self, url: str, *, last_event_id: int | None = None, timeout: float = 30):
        parts = urlsplit(url)
        self.connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
        headers = {"Accept": "text/event-stream"}
        if last_event_id is not None:
            headers["Last-Event-ID"] = str(last_event_id)
        self.connection.request(
            "GET", parts.path + (f"?{parts.query}" if parts.query else ""), headers=headers
        )
        self.socket = self.connection.sock
        self.response = self.connection.getresponse()
        if self.response.status != 200:
            raise AssertionError(f"{url} answered {self.response.status}")
        self.content_type = self.response.getheader("Content-Type")
        self.messages: queue.Queue[dict] = queue.Queue()
        self.opened = threading.Event()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        fields: dict[str, str] = {}
        with contextlib.suppress(OSError, ValueError, http.client.HTTPException):
            while line := self.response.readline():
                line = line.decode().rstrip("\r\n")
                if line.startswith(":"):
                    continue  # a comment: keepalive
                if line:
                    name, _, value = line.partition(":")
                    fields[name] = value.removeprefix(" ")
                    continue
                if "retry" in fields:
                    self.opened.set()
                if "id" in fields:
                    self.messages.put(
                        {
                            "id": int(fields["id"]),
                            "event": fields.get("event", "message"),
                            "data": json.loads(fields.get("data", "null")),
                        }
                    )
                fields = {}

    def wait_for_open(self, timeout: float = 10) -> None:
        """Until the server has placed the stream in the log (its retry hint comes then)."""
        if not self.opened.wait(timeout):
            raise AssertionError("the stream did not open")

    def next_message(self, timeout: float) -> dict | None:
        try:
            return self.messages.get(timeout=timeout)
        except queue.Empty:
            return None

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.socket.shutdown(socket.SHUT_RDWR)  # the reader sees the end of the stream
        self.reader.join(timeout=5)
        self.response.close()
        self.connection.close()


@pytest.fixture
def open_sse():
    """Opens SSE clients (SseClient's arguments) and closes whatever is left open at the end."""
    clients: list[SseClient] = []

    def open_client(url: str, **kwargs) -> SseClient:
        clients.append(SseClient(url, **kwargs))
        return clients[-1]

    yield open_client
    for client in clients:
        client.close()
