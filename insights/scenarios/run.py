"""Run the early warning over a simulated store as beat would: every 15 minutes of simulated
time, through the real service (insights.services.run_detection), and report what it raised."""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from insights.models import Alert
from insights.services.alerts import run_detection
from insights.services.detection import SampleCache, Thresholds, baseline_moments
from insights.services.samples import contact_samples, flight_samples, usual_scan_gaps

EVERY = timedelta(minutes=15)
CHUNK = 48  # moments per query when reading ahead


@dataclass
class Timeline:
    """The alerts raised between `start` and `end`, in the order they were raised."""

    start: datetime
    end: datetime
    checks: int = 0
    raised: list[Alert] = field(default_factory=list)

    def first(self, **fields) -> Alert | None:
        """The first alert raised with these field values (subject_code="ups", ...)."""
        for alert in self.raised:
            if all(getattr(alert, name) == value for name, value in fields.items()):
                return alert
        return None


def read_ahead(cache: SampleCache, checks: list[datetime], thresholds: Thresholds) -> None:
    """Fill the cache with the samples of every moment these checks will read, a chunk of
    moments per query instead of a query per check: the same samples, read sooner."""
    by_day: dict[datetime, list[datetime]] = {}
    for now in checks:
        by_day.setdefault(now.replace(hour=0, minute=0, second=0, microsecond=0), []).append(now)
    for day, nows in sorted(by_day.items()):
        gaps = usual_scan_gaps(now=day, thresholds=thresholds, cache=cache)
        moments = sorted({m for now in nows for m in baseline_moments(now, thresholds)})
        for start in range(0, len(moments), CHUNK):
            chunk = moments[start : start + CHUNK]
            flight_samples(chunk, gaps=gaps, thresholds=thresholds, cache=cache)
            contact_samples(chunk, thresholds=thresholds, cache=cache)


def run_every(
    *,
    start: datetime,
    end: datetime,
    every: timedelta = EVERY,
    thresholds: Thresholds | None = None,
    stop_when: Callable[[Timeline], bool] | None = None,
) -> Timeline:
    """Run detection at start, start + every, ... up to end (included), sharing one sample cache
    (the store is written up front, so its past never changes). `stop_when(timeline)` ends the
    run early once it answers true."""
    thresholds = thresholds or Thresholds.from_settings()
    checks = []
    now = start
    while now <= end:
        checks.append(now)
        now += every
    cache = SampleCache()
    read_ahead(cache, checks, thresholds)
    timeline = Timeline(start=start, end=end)
    seen: set[int] = set()
    for now in checks:
        for alert in run_detection(now=now, thresholds=thresholds, cache=cache):
            if alert.pk not in seen:
                seen.add(alert.pk)
                timeline.raised.append(alert)
        timeline.checks += 1
        if stop_when is not None and stop_when(timeline):
            break
    return timeline
