"""Real Celery processes for the reliability tests (test_workers.py), and what those processes
load themselves.

The test process gets: a throwaway redis-server of its own (never the shared one: stopping it
must not hurt another test), Celery worker and beat subprocesses on the test database, and
`use_broker` to send its own tasks there. The worker processes load this module as well
(CELERY_IMPORTS in worker_settings.py) for a mail backend that files each email after a delay,
a journal of every task run, and a short delivery lease.
"""

import contextlib
import email
import json
import os
import random
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections import Counter
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote

import redis
from celery.signals import task_postrun, task_prerun, worker_process_init
from django.conf import settings
from django.core.mail.backends.base import BaseEmailBackend
from kombu import pools as kombu_pools

BIN = Path(sys.executable).parent
READY = {"worker": " ready.", "beat": "beat: Starting..."}


def free_port() -> int:
    """A free port below Linux's ephemeral range (32768 and up), so no outgoing connection takes
    it while the test's Redis is down and the same port must be bound again."""
    while True:
        port = random.randrange(20_000, 32_768)
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port


def wait_until(condition, *, timeout: float, what: str, interval: float = 0.05, detail=None):
    """Poll `condition` until it returns something true; return that."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        time.sleep(interval)
    raise AssertionError(
        f"timed out after {timeout}s waiting for {what}" + (detail() if detail else "")
    )


def database_url() -> str:
    """The test database (pytest-django renamed it) as a DATABASE_URL for child processes."""
    db = settings.DATABASES["default"]
    credentials = quote(db.get("USER") or "postgres")
    if db.get("PASSWORD"):
        credentials += ":" + quote(db["PASSWORD"])
    host, port = db.get("HOST") or "127.0.0.1", db.get("PORT") or 5432
    return f"postgres://{credentials}@{host}:{port}/{db['NAME']}"


class RedisServer:
    """A redis-server on a free port, without persistence: killing it loses every queued and
    unacknowledged task, as a crashed broker would."""

    def __init__(self, log: Path):
        self.port = free_port()
        self.log = log
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                [
                    *("redis-server", "--port", str(self.port), "--bind", "127.0.0.1"),
                    *("--save", "", "--appendonly", "no"),  # forgets everything when killed
                ],
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        client = redis.Redis(port=self.port, socket_connect_timeout=1)

        def answers() -> bool:
            with contextlib.suppress(redis.RedisError):
                return client.ping()
            return False

        wait_until(answers, timeout=10, what="redis-server to answer")

    def holds_no_task(self) -> bool:
        """Nothing queued and nothing handed to a worker and not yet acknowledged."""
        client = redis.Redis(port=self.port, socket_connect_timeout=1)
        queued = sum(
            client.llen(key) for key in client.scan_iter("celery*") if client.type(key) == b"list"
        )
        return queued == 0 and client.hlen("unacked") == 0

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)


class CeleryStack:
    """A Redis of its own, and Celery workers and beat on it and on the test database. Worker
    and beat run in process groups of their own, so a kill takes the worker's children too."""

    def __init__(self, directory: Path, **environment: str):
        self.directory = directory
        self.redis = RedisServer(directory / "redis.log")
        self.mail_dir = directory / "mail"
        self.journal_path = directory / "tasks.jsonl"
        self.processes: list[subprocess.Popen] = []
        self.logs: list[Path] = [self.redis.log]
        self.env = {
            **os.environ,
            "DATABASE_URL": database_url(),
            "REDIS_URL": self.redis.url,
            "DJANGO_SETTINGS_MODULE": "tests.notifications.worker_settings",
            "PYTHONPATH": str(settings.BASE_DIR),
            "PYTHONUNBUFFERED": "1",
            "LOG_LEVEL": "WARNING",
            "OMS_TEST_MAIL_DIR": str(self.mail_dir),
            "OMS_TEST_TASK_JOURNAL": str(self.journal_path),
            **environment,
        }

    def start_worker(self) -> subprocess.Popen:
        name = f"worker{len(self.processes)}@%h"
        return self._start(
            "worker",
            "--pool=prefork",
            "--concurrency=2",
            f"--hostname={name}",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        )

    def start_beat(self) -> subprocess.Popen:
        schedule = self.directory / "celerybeat-schedule"
        return self._start("beat", f"--schedule={schedule}", "--max-interval=1")

    def _start(self, role: str, *arguments: str) -> subprocess.Popen:
        log = self.directory / f"{role}{len(self.processes)}.log"
        self.logs.append(log)
        with log.open("wb") as out:
            process = subprocess.Popen(
                [str(BIN / "celery"), "-A", "oms", role, "--loglevel=info", *arguments],
                cwd=settings.BASE_DIR,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.processes.append(process)

        def ready() -> bool:
            if process.poll() is not None:
                raise AssertionError(f"celery {role} exited:\n{log.read_text(errors='replace')}")
            return READY[role] in log.read_text(errors="replace")

        wait_until(ready, timeout=30, what=f"celery {role} to start", detail=self.describe)
        return process

    def kill(self, process: subprocess.Popen) -> None:
        """SIGKILL the process and all its children: nothing gets to acknowledge or clean up."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)

    def close(self) -> None:
        for process in self.processes:
            self.kill(process)
        self.redis.kill()

    def emails(self) -> Counter[str]:
        """How many times each Message-ID was sent."""
        if not self.mail_dir.exists():
            return Counter()
        return Counter(
            email.message_from_bytes(path.read_bytes())["Message-ID"]
            for path in self.mail_dir.glob("*.eml")
        )

    def journal(self) -> list[dict]:
        if not self.journal_path.exists():
            return []
        return [json.loads(line) for line in self.journal_path.read_text().splitlines() if line]

    def describe(self) -> str:
        """The end of every log, for a failure message."""
        return "".join(
            f"\n--- {log.name}:\n" + "\n".join(log.read_text(errors="replace").splitlines()[-30:])
            for log in self.logs
            if log.exists()
        )


def in_flight(journal: list[dict]) -> dict[str, dict]:
    """Tasks that started and never finished, by task id."""
    ended = {entry["id"] for entry in journal if entry["event"] == "end"}
    return {
        entry["id"]: entry
        for entry in journal
        if entry["event"] == "start" and entry["id"] not in ended
    }


@contextlib.contextmanager
def use_broker(url: str):
    """Send this process's tasks to `url` (and not inline) for a while."""
    from notifications.channels import live
    from notifications.services import dispatch
    from oms.celery import app

    def reset_connections() -> None:
        # kombu keeps connection and producer pools in a registry by URL: drop them all, so no
        # connection to another broker (or to a killed one) is handed out again.
        kombu_pools.reset()
        app._pool = None
        if "amqp" in app.__dict__:
            app.amqp._producer_pool = None
        live._redis_client = None
        dispatch._broker_down_until = 0.0

    previous = (app.conf.broker_url, app.conf.task_always_eager)
    app.conf.broker_url, app.conf.task_always_eager = url, False
    reset_connections()
    try:
        yield
    finally:
        app.conf.broker_url, app.conf.task_always_eager = previous
        reset_connections()


# --- Loaded by the worker processes ----------------------------------------------------------


class FilingMailBackend(BaseEmailBackend):
    """A slow mail server: each email takes `delay` seconds, and is out (its file appears in
    `directory`) half-way through, so a worker killed mid-send may or may not have sent it."""

    def __init__(self, *, directory: str, delay: float = 0.0, **kwargs):
        super().__init__(**kwargs)
        self.directory = Path(directory)
        self.delay = delay

    def send_messages(self, email_messages) -> int:
        self.directory.mkdir(parents=True, exist_ok=True)
        for message in email_messages:
            time.sleep(self.delay / 2)
            path = self.directory / f"{uuid.uuid4().hex}.eml"
            partial = path.with_suffix(".part")
            partial.write_bytes(message.message().as_bytes())
            partial.rename(path)  # whole or absent, even if the worker dies now
            time.sleep(self.delay / 2)
        return len(email_messages)


def _journal(event: str, task_id: str, task, args, state: str | None = None) -> None:
    path = os.environ.get("OMS_TEST_TASK_JOURNAL")
    if not path:
        return
    delivery_info = task.request.delivery_info or {}
    entry = {
        "event": event,
        "id": task_id,
        "task": task.name,
        "args": list(args or []),
        "redelivered": bool(delivery_info.get("redelivered")),
        "pid": os.getpid(),
        "state": state,
    }
    # One short write on a file opened for appending: lines from several processes do not mix.
    with open(path, "a") as journal:
        journal.write(json.dumps(entry) + "\n")


@task_prerun.connect
def _journal_start(task_id, task, args=None, **kwargs) -> None:
    _journal("start", task_id, task, args)


@task_postrun.connect
def _journal_end(task_id, task, args=None, state=None, **kwargs) -> None:
    _journal("end", task_id, task, args, state)


@worker_process_init.connect
def _shorten_lease(**kwargs) -> None:
    """A killed worker's deliveries come free after the lease: seconds here, not minutes."""
    seconds = os.environ.get("OMS_TEST_LEASE_SECONDS")
    if seconds:
        from notifications.services import dispatch

        dispatch.LEASE = timedelta(seconds=float(seconds))
