"""A one-line progress display for long exports, on stderr, redrawn in place at most ten times
a second. Silent when told to be (--quiet) or when stderr is not a terminal (cron, logs)."""

import sys
import time
from typing import TextIO


class Progress:
    def __init__(self, stream: TextIO | None = None, *, enabled: bool | None = None):
        self.stream = stream or sys.stderr
        self.enabled = self.stream.isatty() if enabled is None else enabled
        self.label = ""
        self.step = ""
        self.rows = 0
        self.started = self.drawn = 0.0

    def start(self, label: str, *, index: int = 0, count: int = 0) -> None:
        self.label, self.rows = label, 0
        self.step = f"[{index}/{count}] " if count else ""
        self.started = time.monotonic()
        self.drawn = 0.0
        self._draw(force=True)

    def advance(self, rows: int) -> None:
        self.rows += rows
        self._draw()

    def finish(self) -> None:
        self._draw(force=True)
        if self.enabled:
            self.stream.write("\n")
            self.stream.flush()

    def _draw(self, *, force: bool = False) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if not force and now - self.drawn < 0.1:
            return
        self.drawn = now
        elapsed = now - self.started
        rate = self.rows / elapsed if elapsed > 0 else 0.0
        spinner = "|/-\\"[int(elapsed * 4) % 4]
        self.stream.write(
            f"\r{spinner} {self.step}{self.label:<16} {self.rows:>12,} rows "
            f"{rate:>10,.0f} rows/s {elapsed:>7.1f} s"
        )
        self.stream.flush()


class NoProgress(Progress):
    def __init__(self) -> None:
        super().__init__(enabled=False)
