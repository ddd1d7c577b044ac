"""How seed_bulk shows its progress: a bar redrawn on a terminal, one line per step elsewhere."""

import threading
import time

from oms.bulk.store import Progress, total_weight

WIDTH = 30


class StepLines(Progress):
    """One line per finished step (logs, CI, pipes)."""

    def __init__(self, stream):
        self.stream = stream
        self.lock = threading.Lock()

    def done(self, name: str, seconds: float) -> None:
        with self.lock:
            self.stream.write(f"  {name:<14} {seconds:7.1f} s\n")
            self.stream.flush()

    def close(self) -> None:
        pass


class Bar(Progress):
    """A bar on one terminal line, redrawn twice a second while steps run.

    Each step is a few big SQL statements, so within a step the bar moves by the time elapsed
    against the step's weight (its duration on the reference machine, scaled by the store's
    size), never past the step's end until it is done.
    """

    def __init__(self, stream, *, orders: int):
        self.stream = stream
        self.scale = orders / 1_000_000
        self.total = total_weight()
        self.done_weight = 0.0
        self.running: dict[str, tuple[float, float]] = {}  # name: (weight, since)
        self.started = time.monotonic()
        self.lock = threading.Lock()
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._tick, daemon=True)
        self.thread.start()

    def start(self, name: str, weight: float) -> None:
        with self.lock:
            self.running[name] = (weight, time.monotonic())
        self._draw()

    def done(self, name: str, seconds: float) -> None:
        with self.lock:
            weight, _ = self.running.pop(name, (0.0, 0.0))
            self.done_weight += weight
        self._draw()

    def close(self) -> None:
        self.stopped.set()
        self.thread.join()
        self._draw()
        self.stream.write("\n")
        self.stream.flush()

    def _tick(self) -> None:
        while not self.stopped.wait(0.5):
            self._draw()

    def _draw(self) -> None:
        with self.lock:
            now = time.monotonic()
            within = sum(
                weight * min((now - since) / max(weight * self.scale, 0.01), 0.95)
                for weight, since in self.running.values()
            )
            fraction = min((self.done_weight + within) / self.total, 1.0)
            elapsed = int(now - self.started)
            filled = round(fraction * WIDTH)
            names = " + ".join(self.running) or ("done" if self.done_weight else "starting")
            self.stream.write(
                f"\r[{'#' * filled}{'.' * (WIDTH - filled)}] {fraction:4.0%}  "
                f"{elapsed // 60:d}:{elapsed % 60:02d}  {names:<28}"
            )
            self.stream.flush()
