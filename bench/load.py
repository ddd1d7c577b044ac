"""The load generator: a fixed number of clients kept busy for a fixed time.

Each client is a thread with its own keep-alive HTTP connection (`Session`). It calls
`request(session)` in a loop; a call that returns counts as one successful request, a call that
raises counts as an error (its message is kept as a sample). Latency is the time of the whole
call. Threads, not processes: a client spends almost all its time waiting on the socket, and
`http.client` costs ~0.1 ms of CPU per request, so the generator itself stays a small share of
the two cores — `run_load` measures that share (its own process CPU time over wall time) and
reports it as `loadgen_cpu`.

    from bench.load import Session, run_load, print_results

    def detail(session: Session) -> None:
        session.get_ok("/api/v1/orders/ORD-1/")

    result = run_load("detail", detail, clients=4, seconds=10, setup=lambda: Session(base_url))
    print_results([result], raw={"detail": 2000.0})
"""

from __future__ import annotations

import http.client
import json as jsonlib
import os
import resource
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

__all__ = ["HTTPError", "LoadResult", "Session", "percentile", "print_results", "run_load"]


class HTTPError(Exception):
    """An unexpected status; `run_load` counts it as an error."""

    def __init__(self, method: str, path: str, status: int, body: bytes):
        super().__init__(f"{method} {path} -> {status}: {body[:200]!r}")
        self.status = status
        self.body = body


class Session:
    """One keep-alive HTTP/1.1 connection (reconnects once if the server closed it).

    `get`/`post`/`request` return (status, body_bytes, headers); `get_ok`/`post_ok` raise
    HTTPError unless the status is the expected one and return the parsed JSON body (or the
    bytes when it is not JSON). `headers` are sent on every request (e.g. Authorization); a
    `Cookie` header can be set there for a logged-in session.
    """

    def __init__(self, base_url: str, headers: Mapping[str, str] | None = None, timeout=30.0):
        parts = urlsplit(base_url)
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or 80
        self.prefix = parts.path.rstrip("/")
        self.headers = dict(headers or {})
        self.timeout = timeout
        self._connection: http.client.HTTPConnection | None = None

    def _connect(self) -> http.client.HTTPConnection:
        if self._connection is None:
            self._connection = http.client.HTTPConnection(
                self.host, self.port, timeout=self.timeout
            )
        return self._connection

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    def request(
        self,
        method: str,
        path: str,
        body: bytes | str | None = None,
        headers: Mapping[str, str] | None = None,
        json=None,
    ) -> tuple[int, bytes, http.client.HTTPMessage]:
        all_headers = {**self.headers, **(headers or {})}
        if json is not None:
            body = jsonlib.dumps(json)
            all_headers.setdefault("Content-Type", "application/json")
        if isinstance(body, str):
            body = body.encode()
        url = self.prefix + path
        for attempt in (1, 2):
            connection = self._connect()
            try:
                connection.request(method, url, body=body, headers=all_headers)
                response = connection.getresponse()
                data = response.read()
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                # A kept-alive connection the server closed between requests: retry once on a
                # fresh one (not a failure of this request).
                self.close()
                if attempt == 2:
                    raise
                continue
            if response.will_close:
                self.close()
            return response.status, data, response.headers
        raise AssertionError("unreachable")

    def get(self, path: str, headers: Mapping[str, str] | None = None):
        return self.request("GET", path, headers=headers)

    def post(self, path: str, json=None, body=None, headers: Mapping[str, str] | None = None):
        return self.request("POST", path, body=body, headers=headers, json=json)

    def _ok(self, method: str, path: str, expect: int, **kwargs):
        status, data, response_headers = self.request(method, path, **kwargs)
        if status != expect:
            raise HTTPError(method, path, status, data)
        if response_headers.get("Content-Type", "").startswith("application/json"):
            return jsonlib.loads(data)
        return data

    def get_ok(self, path: str, expect: int = 200, headers: Mapping[str, str] | None = None):
        return self._ok("GET", path, expect, headers=headers)

    def post_ok(
        self, path: str, json=None, expect: int = 201, headers: Mapping[str, str] | None = None
    ):
        return self._ok("POST", path, expect, json=json, headers=headers)


@dataclass
class LoadResult:
    name: str
    clients: int
    seconds: float
    requests: int
    errors: int
    throughput: float  # successful requests per second
    p50_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float
    error_samples: list[str] = field(default_factory=list)
    loadgen_cpu: float = 0.0  # the generator's own CPU, as a share of one core
    load_average: str = ""  # /proc/loadavg (1, 5, 15 min) at the end of the run
    total_requests: int = 0  # every request made, warm-up and errors included (for CPU/request)

    def as_dict(self) -> dict:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


def percentile(sorted_values: list[float], fraction: float) -> float:
    """Nearest-rank percentile of an already sorted list (nan when empty)."""
    if not sorted_values:
        return float("nan")
    index = min(len(sorted_values) - 1, max(0, round(fraction * (len(sorted_values) - 1))))
    return sorted_values[index]


def load_average() -> str:
    try:
        with open("/proc/loadavg") as f:
            return " ".join(f.read().split()[:3])
    except OSError:
        return "?"


def run_load(
    name: str,
    request: Callable[[Session], None],
    *,
    clients: int,
    seconds: float,
    warmup: float = 2.0,
    setup: Callable[[], Session] | None = None,
    max_error_samples: int = 5,
) -> LoadResult:
    """Keep `clients` workers busy for `seconds` (after `warmup`), each calling
    request(session) in a loop; a request that raises counts as an error.

    Only the requests that *start* inside the measured window count; requests still running
    when it closes are finished (and their latency kept) so the server is idle afterwards.
    """
    if setup is None:
        raise ValueError("run_load needs setup= (a callable returning a Session)")
    sessions = [setup() for _ in range(clients)]
    latencies: list[list[float]] = [[] for _ in range(clients)]
    errors = [0] * clients
    made = [0] * clients
    samples: list[str] = []
    samples_lock = threading.Lock()
    start_barrier = threading.Barrier(clients + 1)
    timing = {"measure_from": 0.0, "stop_at": 0.0}

    def worker(index: int) -> None:
        session = sessions[index]
        mine = latencies[index]
        start_barrier.wait()
        measure_from = timing["measure_from"]
        stop_at = timing["stop_at"]
        while True:
            begin = time.perf_counter()
            if begin >= stop_at:
                break
            failed = None
            try:
                request(session)
            except Exception as exc:  # noqa: BLE001 - every failure is a counted error
                failed = exc
                session.close()
            elapsed = time.perf_counter() - begin
            made[index] += 1
            if begin < measure_from:
                continue
            if failed is None:
                mine.append(elapsed)
            else:
                errors[index] += 1
                if len(samples) < max_error_samples:
                    with samples_lock:
                        samples.append(f"{type(failed).__name__}: {failed}"[:300])

    threads = [
        threading.Thread(target=worker, args=(i,), name=f"load-{name}-{i}", daemon=True)
        for i in range(clients)
    ]
    for thread in threads:
        thread.start()
    now = time.perf_counter()
    timing["measure_from"] = now + warmup
    timing["stop_at"] = now + warmup + seconds
    start_barrier.wait()
    time.sleep(warmup)
    cpu_before = _process_cpu()
    wall_before = time.perf_counter()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - wall_before
    cpu = _process_cpu() - cpu_before
    for session in sessions:
        session.close()

    ok = sorted(x * 1000 for per_client in latencies for x in per_client)
    return LoadResult(
        name=name,
        clients=clients,
        seconds=seconds,
        requests=len(ok),
        errors=sum(errors),
        throughput=len(ok) / seconds,
        p50_ms=percentile(ok, 0.50),
        p95_ms=percentile(ok, 0.95),
        p99_ms=percentile(ok, 0.99),
        max_ms=ok[-1] if ok else float("nan"),
        error_samples=samples,
        loadgen_cpu=cpu / wall if wall > 0 else 0.0,
        load_average=load_average(),
        total_requests=sum(made),
    )


def _process_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def format_table(results: Iterable[LoadResult], raw: Mapping[str, float] | None = None) -> str:
    """One row per result; `raw` maps a result's name to the raw limit (per second) it is
    compared with, giving the ratio column."""
    raw = raw or {}
    header = (
        f"{'scenario':<28} {'clients':>7} {'req/s':>9} {'p50 ms':>8} {'p95 ms':>8} "
        f"{'p99 ms':>8} {'max ms':>8} {'errors':>6} {'raw/s':>9} {'ratio':>7} "
        f"{'gen cpu':>7} {'load avg':>15}"
    )
    lines = [header, "-" * len(header)]
    for r in results:
        limit = raw.get(r.name)
        raw_text = f"{limit:9.1f}" if limit else f"{'-':>9}"
        ratio = f"{r.throughput / limit:7.1%}" if limit else f"{'-':>7}"
        lines.append(
            f"{r.name:<28} {r.clients:>7} {r.throughput:9.1f} {r.p50_ms:8.1f} {r.p95_ms:8.1f} "
            f"{r.p99_ms:8.1f} {r.max_ms:8.1f} {r.errors:>6} {raw_text} {ratio} "
            f"{r.loadgen_cpu:7.0%} {r.load_average:>15}"
        )
        for sample in r.error_samples[:3]:
            lines.append(f"    error: {sample}")
    return "\n".join(lines)


def print_results(results: Iterable[LoadResult], raw: Mapping[str, float] | None = None) -> None:
    print(format_table(list(results), raw=raw), flush=True)


def cpu_count() -> int:
    return os.cpu_count() or 1
