"""Early-warning detection: is a warehouse's or a carrier's contact rate, or its delay rate,
clearly above its own recent baseline right now?

A pure function of the database and a clock `now`. Every count is read "as of now" from
timestamps (shipped_at, delivered_at, delayed_at, scan and contact times), never from a
current status, so the same code judges live data and a store simulated in the past
(insights.scenarios), and a past moment gets the same answer whenever it is asked.

The two metrics, for each warehouse and each carrier:

- contact rate: customers who contacted us about its shipments in the last `window` (6 h) per
  100 of its shipments in flight now. A contact is a support case opened or a further contact
  on one (CaseEvent "contact"); it is about the case's shipment when the case names one, else
  about every shipment of the case's order (an order split over two warehouses counts for
  both), and about a carrier only if the parcel had been handed over by then. Each customer
  (order) counts once per window: one angry customer calling three times is not three times
  the signal, and counting people keeps the counts close to Poisson.
- delay rate: its shipments in flight now that the delay watch has flagged (delayed_at) or
  that have had no carrier scan for longer than the carrier's usual scan gap, per 100 in
  flight. The usual gap is `scan_gap_factor` (2) x the carrier's mean time between scans on the
  parcels it delivered in the baseline days, kept between 12 h and OMS_STALLED_AFTER.

"In flight" at a moment: handed to the carrier (shipped_at) at most `max_transit` (30 days)
before it and not delivered by then.

The baseline is the subject's own: the same `window` at the same time of day (to the hour) on
each of the previous `baseline_days` (14) days, so the current window is never part of it.
Contacts follow the clock (nobody calls at 4 a.m.): a window is compared with the same hours
on other days, never with a daily average that every afternoon would exceed; two weeks
average out the days of the week. Expected = the baseline's count per shipment in flight x
shipments in flight now, so a busier week (a sale) raises what is expected with it.

"Clearly above" needs all three:

1. volume: at least `min_in_flight` (30) shipments in flight and `min_count` (8) customers (or
   delayed parcels) now, and a baseline with that many in flight on at least
   `min_baseline_days` (7) of its days. Small numbers never alarm, nor does a subject with no
   history to compare with.
2. significance: a one-sided Poisson test, P(X >= observed | mean = expected) <=
   `max_p_value` (0.0001). Poisson because contacts come from many customers each rarely
   calling; one-sided because only "more than usual" is news. Strict, because the job asks
   14 subject-metric questions four times an hour: with 6-hour windows that is some 56
   independent questions a day, 1,700 a month, and the issue allows at most one false alarm
   a month (0.001 gave one to three on a simulated month; 0.0001 leaves pure noise about one
   in six months, fewer still after the other two conditions). Counts more spread out than
   Poisson across the baseline days (delayed parcels are states that last for hours, not
   independent arrivals) are tested quasi-Poisson: observed and expected both divided by the
   dispersion measured on the baseline (Pearson chi-square / degrees of freedom, at least 1).
3. effect size: observed >= `min_ratio` (2) x expected. On a big subject a 20 % rise can be
   "significant" and still not worth anyone's evening; the ratio also absorbs the baseline's
   own noise, which the test treats as exact. A baseline without a single event counts as one
   ("none in two weeks" is rare, not impossible).

An alert, once raised, stays open while the reading is at least `resolve_ratio` (1.5) x
expected, and resolves after `resolve_after` (12 h) without such a reading (see
insights.services.alerts): a quiet night does not close an ongoing disruption, and a reading
hovering at the threshold does not raise and resolve it every 15 minutes.

A carrier's disruption lifts every warehouse it serves, and a warehouse's lifts every carrier
it ships with. A subject that is up while subjects of the other kind are up is judged again
without the cells (warehouse x carrier) it shares with those of them that stay up without it
(or already have an alert open, when night-time numbers are too small to tell): if it no
longer alarms, it is their shadow and stays quiet (`explained_by`). So a carrier's
disruption names the carrier, not the four warehouses it serves; when only one warehouse x
carrier cell is in trouble and nothing tells which side it is, both alarm.

Queries are set-based and bounded per run whatever the number of subjects (see
insights.services.samples): two for the usual scan gaps, one for shipments in flight and
delayed at all 15 moments, one for the contacts of all 15 windows, one for the open alerts.
The baseline moments fall on the hour, so runs every 15 minutes share them.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from django.conf import settings

from insights.models import AlertMetric, AlertSubject
from insights.selectors import MAX_TRANSIT, unresolved_alerts
from insights.services.samples import (
    Cell,
    Contact,
    FlightSample,
    SampleCache,
    contact_samples,
    flight_samples,
    usual_scan_gaps,
)

__all__ = ["Reading", "SampleCache", "Thresholds", "detect", "poisson_tail"]

WAREHOUSE, CARRIER = AlertSubject.WAREHOUSE.value, AlertSubject.CARRIER.value
OTHER_KIND = {WAREHOUSE: CARRIER, CARRIER: WAREHOUSE}
MAX_DISPERSION = 10.0


@dataclass(frozen=True)
class Thresholds:
    """The detection's parameters. settings.OMS_INSIGHTS_DETECTION (a dict of these names)
    overrides the defaults; max_scan_gap follows OMS_STALLED_AFTER."""

    window: timedelta = timedelta(hours=6)
    baseline_days: int = 14
    min_baseline_days: int = 7
    min_in_flight: int = 30
    min_count: int = 8
    min_ratio: float = 2.0
    max_p_value: float = 0.0001
    resolve_ratio: float = 1.5
    min_count_to_stay: int = 3
    resolve_after: timedelta = timedelta(hours=12)
    max_transit: timedelta = MAX_TRANSIT
    scan_gap_factor: float = 2.0
    min_scan_gap: timedelta = timedelta(hours=12)
    max_scan_gap: timedelta = timedelta(hours=48)

    @classmethod
    def from_settings(cls) -> Thresholds:
        overrides = getattr(settings, "OMS_INSIGHTS_DETECTION", None) or {}
        stalled_after = getattr(settings, "OMS_STALLED_AFTER", cls.max_scan_gap)
        return cls(**{"max_scan_gap": stalled_after, **overrides})


@dataclass(frozen=True)
class Reading:
    """One subject's metric now against its baseline, and the verdict."""

    subject_kind: str
    subject_code: str
    metric: str
    window_start: datetime
    window_end: datetime
    observed: int
    expected: float
    volume: int
    baseline_count: int
    baseline_volume: int
    baseline_days: int
    dispersion: float | None  # measured only where the test runs
    p_value: float | None  # tested only where volume, count and ratio allow an alarm
    drivers: list[dict]  # only for readings above the baseline
    is_alarming: bool  # clearly above: raise an alert
    is_elevated: bool  # above resolve_ratio: keeps an open alert open
    explained_by: tuple[str, ...] = ()  # "carrier:ups": the subject is that one's shadow

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.subject_kind, self.subject_code, self.metric)

    @property
    def observed_rate(self) -> float:
        """Per 100 shipments in flight."""
        return 100 * self.observed / self.volume if self.volume else 0.0

    @property
    def baseline_rate(self) -> float:
        return 100 * self.baseline_count / self.baseline_volume if self.baseline_volume else 0.0

    @property
    def ratio(self) -> float | None:
        return self.observed / self.expected if self.expected else None


# --- statistics -------------------------------------------------------------------------------


def _lower_gamma_regularized(a: float, x: float) -> float:
    """P(a, x): the lower incomplete gamma function over the gamma function, by its series
    below a + 1 and its continued fraction above (Numerical Recipes, 3rd ed., section 6.2), so
    that small tails keep their precision."""
    if x <= 0:
        return 0.0
    log_front = -x + a * math.log(x) - math.lgamma(a)
    if x < a + 1:
        term = total = 1.0 / a
        n = a
        while abs(term) > abs(total) * 1e-15:
            n += 1
            term *= x / n
            total += term
        return min(1.0, total * math.exp(log_front))
    tiny = 1e-300
    b = x + 1 - a
    c, d = 1 / tiny, 1 / b
    h = d
    for i in range(1, 10_000):
        an = -i * (i - a)
        b += 2
        d = an * d + b
        d = tiny if abs(d) < tiny else d
        c = b + an / c
        c = tiny if abs(c) < tiny else c
        d = 1 / d
        h *= d * c
        if abs(d * c - 1) < 1e-15:
            break
    return max(0.0, 1 - math.exp(log_front) * h)


def poisson_tail(observed: float, mean: float) -> float:
    """P(X >= observed) for X ~ Poisson(mean); for a non-integer `observed` (quasi-Poisson)
    the same identity with the regularized incomplete gamma function."""
    if observed <= 0:
        return 1.0
    if mean <= 0:
        return 0.0
    return _lower_gamma_regularized(observed, mean)


def _dispersion(counts: list[int], volumes: list[int], rate: float) -> float:
    """Pearson chi-square over degrees of freedom across the baseline days, at least 1."""
    pairs = [(c, rate * v) for c, v in zip(counts, volumes, strict=True) if rate * v > 0]
    if len(pairs) < 2:
        return 1.0
    chi_square = sum((c - e) ** 2 / e for c, e in pairs)
    return min(max(chi_square / (len(pairs) - 1), 1.0), MAX_DISPERSION)


# --- tallies ----------------------------------------------------------------------------------


@dataclass
class _Tally:
    """One subject's counts now (index 0) and at each baseline moment, and what they are made
    of (contact reasons or kinds of delay)."""

    counts: list[int] = field(default_factory=list)
    volumes: list[int] = field(default_factory=list)
    by_driver: list[dict[str, int]] = field(default_factory=list)


def _subject_of(kind: str, cell: Cell) -> str:
    return cell[0] if kind == WAREHOUSE else cell[1]


class _Counts:
    """A subject's counts at one moment: shipments in flight, delayed ones by kind, customers
    who contacted us by the reason of their first contact."""

    __slots__ = ("customers", "delayed", "delays", "reasons", "volume")

    def __init__(self, volume: int = 0, delays=None, reasons=None) -> None:
        self.volume = volume
        self.delays: dict[str, int] = delays or {}
        self.reasons: dict[str, int] = reasons or {}
        self.delayed = sum(self.delays.values())
        self.customers = sum(self.reasons.values())


class _Breakdown:
    """A subject's counts at one moment by subject of the other kind (a warehouse's by carrier,
    a carrier's by warehouse), so that leaving some out costs a sum, not a new pass. Plain
    dicts: detection builds thousands of these in a simulated month."""

    __slots__ = ("contacts", "delays", "memo", "volume")

    def __init__(self) -> None:
        self.volume: dict[str, int] = {}
        self.delays: dict[str, dict[str, int]] = {}
        # order -> its contacts in the window, oldest first: (reason, the other kind's subjects)
        self.contacts: dict[int, list[tuple[str, frozenset[str]]]] = {}
        self.memo: dict[frozenset[str], _Counts] = {}

    def counts(self, excluded: frozenset[str] = frozenset()) -> _Counts:
        counts = self.memo.get(excluded)
        if counts is None:
            counts = self.memo[excluded] = self._count(excluded)
        return counts

    def _count(self, excluded: frozenset[str]) -> _Counts:
        volume = sum(n for other, n in self.volume.items() if other not in excluded)
        delays: dict[str, int] = {}
        for other, by_kind in self.delays.items():
            if other not in excluded:
                for kind, n in by_kind.items():
                    delays[kind] = delays.get(kind, 0) + n
        reasons: dict[str, int] = {}
        for entries in self.contacts.values():
            # A customer counts once, with the reason of their first contact that is about
            # the subject's remaining cells.
            for reason, others in entries:
                if not excluded or others - excluded:
                    reasons[reason] = reasons.get(reason, 0) + 1
                    break
        return _Counts(volume, delays, reasons)


Breakdowns = dict[tuple[str, str], _Breakdown]
_NO_COUNTS = _Counts()


def _breakdowns(flight: FlightSample, contacts: list[Contact]) -> Breakdowns:
    """Every subject's breakdown at one moment, in one pass over its cells and contacts."""
    breakdowns: Breakdowns = {}

    def subjects(cell: Cell):
        warehouse, carrier = cell
        yield (WAREHOUSE, warehouse), carrier
        if carrier:
            yield (CARRIER, carrier), warehouse

    def breakdown(subject) -> _Breakdown:
        found = breakdowns.get(subject)
        if found is None:
            found = breakdowns[subject] = _Breakdown()
        return found

    for cell, n in flight.in_flight.items():
        for subject, other in subjects(cell):
            volume = breakdown(subject).volume
            volume[other] = volume.get(other, 0) + n
    for delay_kind, cells in flight.delayed.items():
        for cell, n in cells.items():
            for subject, other in subjects(cell):
                by_kind = breakdown(subject).delays.setdefault(other, {})
                by_kind[delay_kind] = by_kind.get(delay_kind, 0) + n
    for contact in contacts:
        others: dict[tuple[str, str], set[str]] = {}
        for cell in contact.cells:
            for subject, other in subjects(cell):
                others.setdefault(subject, set()).add(other)
        for subject, codes in others.items():
            breakdown(subject).contacts.setdefault(contact.order_id, []).append(
                (contact.reason, frozenset(codes))
            )
    return breakdowns


def _tally(
    kind: str,
    code: str,
    metric: str,
    breakdowns: list[Breakdowns],
    excluded: frozenset[str] = frozenset(),
) -> _Tally:
    """The subject's counts now (moment 0) and at each baseline moment, leaving out the cells
    of `excluded` subjects of the other kind."""
    subject = (kind, code)
    all_counts = [
        moment[subject].counts(excluded) if subject in moment else _NO_COUNTS
        for moment in breakdowns
    ]
    if metric == AlertMetric.CONTACT_RATE:
        return _Tally(
            counts=[c.customers for c in all_counts],
            volumes=[c.volume for c in all_counts],
            by_driver=[c.reasons for c in all_counts],
        )
    return _Tally(
        counts=[c.delayed for c in all_counts],
        volumes=[c.volume for c in all_counts],
        by_driver=[c.delays for c in all_counts],
    )


def _drivers(tally: _Tally, expected: float) -> list[dict]:
    """The reasons (contact reasons, or kinds of delay) behind the count, each against what the
    baseline's mix predicts for it now; the biggest excess first (a disruption's "where is my
    order" calls lead even though that reason is common anyway)."""
    now_by_driver, baseline_by_driver = tally.by_driver[0], Counter()
    for by_driver in tally.by_driver[1:]:
        baseline_by_driver.update(by_driver)
    baseline_total = baseline_by_driver.total()
    drivers = []
    reasons = {r for r, n in now_by_driver.items() if n} | {
        r for r, n in baseline_by_driver.items() if n
    }
    for reason in sorted(reasons):
        count = now_by_driver.get(reason, 0)
        share = baseline_by_driver.get(reason, 0) / baseline_total if baseline_total else 0
        drivers.append(
            {
                "reason": reason,
                "count": count,
                "expected": round(share * expected, 2),
                "excess": round(count - share * expected, 2),
                "baseline_share": round(share, 4) if baseline_total else None,
            }
        )
    drivers.sort(key=lambda d: (-d["excess"], -d["count"], d["reason"]))
    return drivers


def _judge(
    kind: str,
    code: str,
    metric: str,
    tally: _Tally,
    now: datetime,
    thresholds: Thresholds,
    has_alert: bool = False,
) -> Reading:
    """The reading's verdict; its drivers only where someone reads them (an alarm, or an open
    alert that the reading keeps open)."""
    observed, volume = tally.counts[0], tally.volumes[0]
    baseline_counts, baseline_volumes = tally.counts[1:], tally.volumes[1:]
    baseline_count, baseline_volume = sum(baseline_counts), sum(baseline_volumes)
    rate = max(baseline_count, 1) / baseline_volume if baseline_volume else 0.0
    expected = rate * volume
    baseline_days = sum(v >= thresholds.min_in_flight for v in baseline_volumes)
    has_history = baseline_days >= thresholds.min_baseline_days
    # The test only where the other conditions hold: it is the costly part of a reading.
    dispersion = p_value = None
    if (
        has_history
        and volume >= thresholds.min_in_flight
        and observed >= thresholds.min_count
        and observed >= thresholds.min_ratio * expected
    ):
        dispersion = _dispersion(baseline_counts, baseline_volumes, rate)
        p_value = poisson_tail(observed / dispersion, expected / dispersion)
    is_alarming = p_value is not None and p_value <= thresholds.max_p_value
    is_elevated = (
        has_history
        and observed >= thresholds.min_count_to_stay
        and observed >= thresholds.resolve_ratio * expected
    )
    is_contact = metric == AlertMetric.CONTACT_RATE
    return Reading(
        subject_kind=kind,
        subject_code=code,
        metric=metric,
        window_start=now - thresholds.window if is_contact else now,
        window_end=now,
        observed=observed,
        expected=expected,
        volume=volume,
        baseline_count=baseline_count,
        baseline_volume=baseline_volume,
        baseline_days=baseline_days,
        dispersion=dispersion,
        p_value=p_value,
        drivers=_drivers(tally, expected) if is_alarming or (is_elevated and has_alert) else [],
        is_alarming=is_alarming,
        is_elevated=is_elevated,
    )


# --- detection --------------------------------------------------------------------------------


def detect(
    *,
    now: datetime,
    thresholds: Thresholds | None = None,
    cache: SampleCache | None = None,
    alerted: set[tuple[str, str]] | None = None,
) -> list[Reading]:
    """A reading of both metrics for every warehouse and carrier that had shipments in flight
    now or at a baseline moment, with the verdict (see the module docstring). `alerted`: the
    (kind, code) of the subjects with an unresolved alert, if the caller has read them."""
    thresholds = thresholds or Thresholds.from_settings()
    moments = baseline_moments(now, thresholds)
    gaps = usual_scan_gaps(now=now, thresholds=thresholds, cache=cache)
    flight_by_moment = flight_samples(moments, gaps=gaps, thresholds=thresholds, cache=cache)
    contacts_by_moment = contact_samples(moments, thresholds=thresholds, cache=cache)
    breakdowns = []
    for moment in moments:
        flight, contacts = flight_by_moment[moment], contacts_by_moment[moment]
        key = (id(flight), id(contacts))  # both live in the cache as long as it does
        if cache is not None and key in cache.derived:
            breakdowns.append(cache.derived[key])
            continue
        breakdowns.append(_breakdowns(flight, contacts))
        if cache is not None:
            cache.derived[key] = breakdowns[-1]
    subjects = sorted({subject for moment in breakdowns for subject in moment})
    if alerted is None:
        alerted = set(unresolved_alerts().values_list("subject_kind", "subject_code"))
    readings: list[Reading] = []
    for metric in (AlertMetric.CONTACT_RATE.value, AlertMetric.DELAY_RATE.value):
        raw = {
            (kind, code): _judge(
                kind,
                code,
                metric,
                _tally(kind, code, metric, breakdowns),
                now,
                thresholds,
                has_alert=(kind, code) in alerted,
            )
            for kind, code in subjects
        }
        readings += _without_shadows(raw, metric, breakdowns, now, thresholds, alerted)
    return readings


def baseline_moments(now: datetime, thresholds: Thresholds) -> list[datetime]:
    """Now, then the same time of day (to the hour, so that a run every 15 minutes reuses the
    baseline samples of the hour) on each of the previous baseline days."""
    hour = now.replace(minute=0, second=0, microsecond=0)
    return [now] + [hour - timedelta(days=day) for day in range(1, thresholds.baseline_days + 1)]


def _without_shadows(
    raw: dict[tuple[str, str], Reading],
    metric: str,
    breakdowns: list[Breakdowns],
    now: datetime,
    thresholds: Thresholds,
    alerted: set[tuple[str, str]],
) -> list[Reading]:
    """Quiet the readings that are only another subject's shadow: a subject up while subjects
    of the other kind are up is the shadow of those that stay up without its cells (or already
    have an alert open), if without their cells it no longer alarms (see the module
    docstring)."""
    up = {
        kind: sorted(code for (k, code), r in raw.items() if k == kind and r.is_elevated)
        for kind in (WAREHOUSE, CARRIER)
    }

    def judge_without(kind: str, code: str, excluded: set[str]) -> Reading:
        tally = _tally(kind, code, metric, breakdowns, frozenset(excluded))
        return _judge(kind, code, metric, tally, now, thresholds)

    readings = []
    for (kind, code), reading in raw.items():
        other = OTHER_KIND[kind]
        explainers = (
            [
                o
                for o in up[other]
                if (other, o) in alerted or judge_without(other, o, {code}).is_elevated
            ]
            if reading.is_elevated
            else []
        )
        own = judge_without(kind, code, set(explainers)) if explainers else reading
        if not explainers or own.is_alarming:
            readings.append(reading)
            continue
        readings.append(
            replace(
                reading,
                is_alarming=False,
                is_elevated=own.is_elevated,
                explained_by=tuple(f"{other}:{o}" for o in explainers),
            )
        )
    return readings
