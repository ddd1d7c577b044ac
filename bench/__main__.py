"""`make bench` / `python -m bench`: every scenario against the production-like server.

    python -m bench                       # all scenarios
    python -m bench --only placement      # some (comma-separated or repeated)
    python -m bench --quick               # short runs (smoke test of the harness)
    python -m bench --list

Needs PostgreSQL and Redis: BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/
oms_bench) and BENCH_REDIS_URL (default redis://127.0.0.1:6379/14). It migrates that database,
starts the web server as the Dockerfile does (uvicorn, `--workers` = WEB_CONCURRENCY, default
the core count) and a Celery worker as docker-compose does, runs the scenarios with the load
generator (bench/load.py), measures each raw PostgreSQL limit (pgbench replaying the SQL the
app issues), prints one row per figure with its ratio to that limit, and ends with the memory
(RSS) of every web and worker process. docs/performance.md records the figures.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import tempfile
import time
import warnings
from pathlib import Path

from bench import harness, load
from bench.server import Server

# name -> module under bench.scenarios exposing main(ctx) -> list[LoadResult] (+ raw limits)
SCENARIOS = ["placement", "reads", "tracking", "live"]


class Context:
    """What a scenario gets: the running server, the database and the run's options."""

    def __init__(self, args, env, server: Server, workdir: Path):
        self.args = args
        self.env = env
        self.server = server
        self.base_url = server.base_url
        self.database_url = env["DATABASE_URL"]
        self.quick = args.quick
        self.workdir = workdir
        self.results: list[load.LoadResult] = []
        self.raw: dict[str, float] = {}
        self.notes: list[str] = []

    def seconds(self, full: float) -> float:
        return min(full, 5.0) if self.quick else full


def parse_args(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    parser.add_argument("--only", action="append", default=[], help="scenario(s) to run")
    parser.add_argument("--quick", action="store_true", help="short runs")
    parser.add_argument("--list", action="store_true", help="list the scenarios")
    parser.add_argument(
        "--clients", default="1,4,16", help="client counts for placement (default 1,4,16)"
    )
    parser.add_argument("--seconds", type=float, default=20.0, help="measured seconds per run")
    parser.add_argument(
        "--workers",
        type=int,
        default=int(os.environ.get("WEB_CONCURRENCY", os.cpu_count() or 1)),
        help="web server worker processes (default WEB_CONCURRENCY, else the core count)",
    )
    parser.add_argument("--worker-concurrency", type=int, default=2, help="Celery concurrency")
    parser.add_argument("--keep-scripts", metavar="DIR", help="keep the raw-limit pgbench scripts")
    return parser.parse_args(argv)


def selected(args) -> list[str]:
    names = [n.strip() for item in args.only for n in item.split(",") if n.strip()]
    unknown = sorted(set(names) - set(SCENARIOS))
    if unknown:
        sys.exit(f"unknown scenario(s): {', '.join(unknown)}; known: {', '.join(SCENARIOS)}")
    return names or SCENARIOS


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.list:
        print("\n".join(SCENARIOS))
        return 0
    names = selected(args)
    # WhiteNoise warns once per process when static files were not collected: irrelevant here.
    warnings.filterwarnings("ignore", message="No directory at")
    env = harness.configure_environment()
    harness.ensure_database(env["DATABASE_URL"])
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    print(f"machine: {harness.machine_description()}; load average {load.load_average()}")
    print(f"database {env['DATABASE_URL']}, redis {env['REDIS_URL']}")
    with (
        tempfile.TemporaryDirectory(prefix="bench-") as tmp,
        Server(env, workers=args.workers, worker_concurrency=args.worker_concurrency) as server,
    ):
        print(f"server: {server.description}")
        ctx = Context(args, env, server, Path(tmp))
        for name in names:
            try:
                module = importlib.import_module(f"bench.scenarios.{name}")
            except ModuleNotFoundError as exc:
                print(f"[{name}] not available ({exc})")
                continue
            if not hasattr(module, "main"):
                print(f"[{name}] has no main(ctx): skipped")
                continue
            started = time.monotonic()
            print(f"\n[{name}]", flush=True)
            module.main(ctx)
            print(f"[{name}] {time.monotonic() - started:.0f} s", flush=True)
        print()
        load.print_results(ctx.results, raw=ctx.raw)
        for note in ctx.notes:
            print(note)
        print()
        print(server.memory_report())
    return 0


if __name__ == "__main__":
    sys.exit(main())
