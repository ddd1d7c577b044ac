"""Shared pieces of the benchmarks: a PostgreSQL database of their own, and the server and
worker processes started the way production runs them."""

import os
import signal
import socket
import subprocess
import sys
import time
from contextlib import contextmanager, suppress
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/oms_bench"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/14"


def configure_environment() -> dict[str, str]:
    """The environment every process of the run shares (PostgreSQL and Redis are required)."""
    env = dict(os.environ)
    env.setdefault("DATABASE_URL", os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE_URL))
    env.setdefault("REDIS_URL", os.environ.get("BENCH_REDIS_URL", DEFAULT_REDIS_URL))
    env.setdefault("DJANGO_SETTINGS_MODULE", "oms.settings")
    env["DEBUG"] = "false"
    env.setdefault("SECRET_KEY", "benchmark-only-secret-key")
    env["OMS_WEBHOOKS_ALLOW_PRIVATE_TARGETS"] = "true"  # the webhook sink is on loopback
    env["LOG_LEVEL"] = "WARNING"
    env["EMAIL_BACKEND"] = "django.core.mail.backends.dummy.EmailBackend"
    os.environ.update(env)
    return env


def ensure_database(url: str) -> None:
    """Create the benchmark's database if it does not exist (never touches another one)."""
    import psycopg2
    from psycopg2 import sql

    name = url.rsplit("/", 1)[1]
    admin = psycopg2.connect(url.rsplit("/", 1)[0] + "/postgres")
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if cursor.fetchone() is None:
            cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    admin.close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise RuntimeError(f"nothing listens on port {port} after {seconds} s")


def worker_environment(env: dict[str, str]) -> dict[str, str]:
    """Workers keep their database connections (no ASGI threads there): as docker-compose."""
    return {**env, "DB_CONN_MAX_AGE": "600"}


@contextmanager
def processes(commands: list[tuple[list[str], dict[str, str]]]):
    """Run the commands (server, workers) for the duration of the block, then stop them."""
    started = [
        subprocess.Popen(command, cwd=ROOT, env=env, start_new_session=True)
        for command, env in commands
    ]
    try:
        yield started
    finally:
        for process in started:
            with_suppress_kill(process, signal.SIGTERM)
        for process in started:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                with_suppress_kill(process, signal.SIGKILL)


def with_suppress_kill(process: subprocess.Popen, sig: int) -> None:
    with suppress(ProcessLookupError):
        os.killpg(process.pid, sig)


def server_command(port: int, workers: int = 1) -> list[str]:
    return [
        str(VENV_BIN / "uvicorn"),
        "oms.asgi:application",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--log-level",
        "warning",
    ]


def worker_command(concurrency: int = 2) -> list[str]:
    return [
        str(VENV_BIN / "celery"),
        "-A",
        "oms",
        "worker",
        "-l",
        "warning",
        "--concurrency",
        str(concurrency),
        "--without-gossip",
        "--without-mingle",
    ]


def percentile(sorted_values: list[float], fraction: float) -> float:
    if not sorted_values:
        return float("nan")
    index = min(len(sorted_values) - 1, max(0, round(fraction * (len(sorted_values) - 1))))
    return sorted_values[index]


def machine_description() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{os.cpu_count()} cores, {cpu}"
