"""The production-like server for the benchmarks: the web server as the Dockerfile starts it
(uvicorn `oms.asgi`, N worker processes) and a Celery worker as docker-compose starts it, with
their memory (RSS of every process of the tree) read after the runs."""

from __future__ import annotations

import contextlib
import os
import subprocess
from pathlib import Path

from bench import harness


def descendants(pid: int) -> list[int]:
    """pid and every process below it (from /proc)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        todo.extend(children.get(current, []))
    return found


def rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process (its own threads; not its reaped children)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def command_line(pid: int) -> str:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return "?"
    parts = [p.decode(errors="replace") for p in raw.split(b"\0") if p]
    return " ".join(Path(parts[0]).name if i == 0 else p for i, p in enumerate(parts))[:90]


class Server:
    """`with Server(env) as server:` — uvicorn and a Celery worker on a free port."""

    def __init__(
        self,
        env: dict[str, str],
        *,
        workers: int = 2,
        worker_concurrency: int = 2,
        web_env: dict[str, str] | None = None,
    ):
        self.env = env
        self.workers = workers
        self.worker_concurrency = worker_concurrency
        self.web_env = {**env, **(web_env or {})}
        self.port = harness.free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self._context = None
        self.started = []

    @property
    def description(self) -> str:
        return (
            f"uvicorn oms.asgi:application --workers {self.workers} on {self.base_url} "
            f"(DB_CONN_MAX_AGE={self.web_env.get('DB_CONN_MAX_AGE', '0')}); "
            f"celery worker --concurrency {self.worker_concurrency}"
        )

    def __enter__(self) -> Server:
        worker = harness.worker_command(self.worker_concurrency)
        worker.insert(1, "--quiet")  # no start-up banner in the benchmark's output
        commands = [
            (harness.server_command(self.port, self.workers), self.web_env),
            (worker, harness.worker_environment(self.env)),
        ]
        self._context = harness.processes(commands)
        self.started = self._context.__enter__()
        harness.wait_for_port(self.port, seconds=60)
        return self

    def __exit__(self, *exc_info):
        # The leaders first (uvicorn and Celery stop their own children cleanly: no "worker
        # lost" noise), then whatever is left of their process groups.
        for process in self.started:
            process.terminate()
        for process in self.started:
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=20)
        return self._context.__exit__(*exc_info)

    def processes(self) -> list[tuple[str, int, float, str]]:
        """(role, pid, RSS MB, command) of every web and worker process."""
        rows = []
        for role, process in zip(("web", "worker"), self.started, strict=False):
            for pid in descendants(process.pid):
                rows.append((role, pid, rss_mb(pid), command_line(pid)))
        return rows

    def cpu(self) -> dict[str, float]:
        """CPU seconds used so far by the web processes and by the worker processes."""
        totals = {"web": 0.0, "worker": 0.0}
        for role, process in zip(("web", "worker"), self.started, strict=False):
            totals[role] = sum(cpu_seconds(pid) for pid in descendants(process.pid))
        return totals

    def memory_report(self) -> str:
        rows = self.processes()
        lines = ["memory (RSS after the runs):"]
        for role, pid, rss, command in rows:
            lines.append(f"  {role:<6} pid {pid:<7} {rss:7.1f} MB  {command}")
        largest = max((r[2] for r in rows), default=float("nan"))
        lines.append(f"  largest process: {largest:.1f} MB (target < 250 MB)")
        return "\n".join(lines)
