"""A simulated clock for the demo: the services stamp rows with the time the clock shows."""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

from django.utils import timezone


class SimulatedClock:
    """Stands in for django.utils.timezone.now while the seed runs.

    The services stamp every row with timezone.now() (auto_now_add, shipped_at, promised dates,
    outbox rows, stock movements). Running them on a simulated clock gives two months of history
    whose every timestamp is consistent, instead of patching a dozen columns afterwards.
    """

    def __init__(self, at: datetime) -> None:
        self.at = at

    def now(self) -> datetime:
        return self.at

    @contextmanager
    def installed(self) -> Iterator["SimulatedClock"]:
        real_now = timezone.now
        timezone.now = self.now
        try:
            yield self
        finally:
            timezone.now = real_now
