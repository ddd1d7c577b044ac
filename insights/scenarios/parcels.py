"""Parcels in simulated time: a carrier's scans from pick-up to the doorstep, the usual hiccups
(a parcel sitting at a hub for a day or two, a failed delivery), and a carrier disruption as
`simulate_carriers --disrupt-carrier` plays it live (orders.demo.carriers.Disruption): the
carrier's parcels stop being scanned, and its first exception scans only come much later."""

import random
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from orders.demo import data as demo
from orders.demo.carriers import DISRUPTION_DESCRIPTIONS, DOORSTEP_EXCEPTION_RATE
from orders.models import Shipment, TrackingEvent

TS = TrackingEvent.Status
SS = Shipment.Status
HOUR = timedelta(hours=1)
NORMAL_STALL_RATE = 0.04  # a parcel sits at a hub for a day or two now and then
# Hours from order to hand-over to the carrier, by shipping method.
PROCESSING_HOURS = {"standard": (2, 20), "express": (0.5, 6), "next_day": (0.5, 4)}
# Where a scan's status leaves the parcel (orders.services applies the same mapping).
STATUS_AFTER_SCAN = {
    TS.PICKED_UP: SS.IN_TRANSIT,
    TS.IN_TRANSIT: SS.IN_TRANSIT,
    TS.OUT_FOR_DELIVERY: SS.OUT_FOR_DELIVERY,
    TS.DELIVERED: SS.DELIVERED,
    TS.EXCEPTION: SS.EXCEPTION,
}
HUB_SCANS = ("Arrived at carrier facility", "Departed carrier facility")


@dataclass
class Scan:
    status: str
    at: datetime
    stop: int  # 0 the warehouse's city, 1 the carrier's hubs, 2 the customer's city
    description: str


@dataclass
class Parcel:
    """One shipment's whole simulated life."""

    warehouse: str
    carrier: str
    method: str
    created_at: datetime
    shipped_at: datetime
    promised: date
    estimated: date
    scans: list[Scan] = field(default_factory=list)
    # Disruption: from when its scans stopped, and when they resume.
    stuck_from: datetime | None = None
    resumes_at: datetime | None = None
    pk: int | None = None  # once written

    @property
    def delivered_at(self) -> datetime | None:
        return next((scan.at for scan in self.scans if scan.status == TS.DELIVERED), None)

    def is_in_flight(self, at: datetime) -> bool:
        delivered = self.delivered_at
        return self.shipped_at <= at and (delivered is None or delivered > at)

    def last_scan_before(self, at: datetime) -> datetime | None:
        last = None
        for scan in self.scans:
            if scan.at > at:
                break
            last = scan.at
        return last

    def is_stuck(self, at: datetime) -> bool:
        return self.stuck_from is not None and self.stuck_from <= at < self.resumes_at


def _daytime(at: datetime, rng: random.Random) -> datetime:
    """Doorstep scans happen in US delivery hours (13:00-22:00 UTC)."""
    if 13 <= at.hour < 22:
        return at
    day = at + timedelta(days=1) if at.hour >= 22 else at
    return day.replace(hour=13, minute=0, second=0, microsecond=0) + rng.uniform(0, 3) * HOUR


def plan_parcel(rng: random.Random, *, placed_at: datetime, warehouse: str, method: str) -> Parcel:
    """A parcel handed to a demo carrier after the warehouse's processing time, then scanned at
    pick-up, at hubs every 8-18 hours, at the local facility, out for delivery and delivered;
    a few sit at a hub for a day or two, a few fail at the door first."""
    low, high = PROCESSING_HOURS[method]
    shipped = placed_at + rng.uniform(low, high) * HOUR
    transit_low, transit_high = demo.TRANSIT_DAYS[method]
    due = shipped + rng.randint(transit_low, transit_high) * 24 * HOUR
    parcel = Parcel(
        warehouse=warehouse,
        carrier=demo.pick_carrier(rng),
        method=method,
        created_at=placed_at,
        shipped_at=shipped,
        promised=(placed_at + timedelta(days=1 + transit_high)).date(),
        estimated=due.date(),
    )
    scans = parcel.scans
    at = shipped + rng.uniform(0.5, 3) * HOUR
    scans.append(Scan(TS.PICKED_UP, at, 0, "Picked up by carrier"))
    at += rng.uniform(4, 12) * HOUR
    scans.append(Scan(TS.IN_TRANSIT, at, 1, "Processed at carrier facility"))
    while at + 18 * HOUR < due - 14 * HOUR:
        at += rng.uniform(8, 18) * HOUR
        scans.append(Scan(TS.IN_TRANSIT, at, 1, rng.choice(HUB_SCANS)))
    at = max(at + 2 * HOUR, due - rng.uniform(9, 14) * HOUR)
    scans.append(Scan(TS.IN_TRANSIT, at, 2, "Arrived at local delivery facility"))
    out = _daytime(max(due - rng.uniform(2, 6) * HOUR, at + HOUR), rng)
    if rng.random() < DOORSTEP_EXCEPTION_RATE:
        scans.append(Scan(TS.OUT_FOR_DELIVERY, out, 2, "Out for delivery"))
        failed = out + rng.uniform(2, 6) * HOUR
        reason = rng.choice(demo.SCAN_DESCRIPTIONS["exception", 2])
        scans.append(Scan(TS.EXCEPTION, failed, 2, reason))
        out = _daytime(failed + 12 * HOUR, rng)
    scans.append(Scan(TS.OUT_FOR_DELIVERY, out, 2, "Out for delivery"))
    delivered = out + rng.uniform(1, 7) * HOUR
    scans.append(
        Scan(TS.DELIVERED, delivered, 2, rng.choice(demo.SCAN_DESCRIPTIONS["delivered", 2]))
    )
    if rng.random() < NORMAL_STALL_RATE:
        _shift(scans, rng.randint(2, len(scans) - 2), rng.uniform(24, 60) * HOUR)
    parcel.estimated = max(parcel.estimated, delivered.date())
    return parcel


def _shift(scans: list[Scan], start: int, by: timedelta) -> None:
    for scan in scans[start:]:
        scan.at += by


def disrupt(
    parcel: Parcel,
    *,
    rng: random.Random,
    onset: datetime,
    first_exception_at: datetime,
    recovered_at: datetime,
) -> None:
    """The carrier's network stops at `onset` and takes parcels again at `recovered_at`: none
    of the held parcel's later scans comes. Its exception scan comes after
    `first_exception_at` (spread over the next hours, as the carrier works through its
    backlog), then its scans resume a few hours to a day later, each as much later as the
    parcel was held."""
    if parcel.shipped_at >= recovered_at:
        return
    pending = next((i for i, scan in enumerate(parcel.scans) if scan.at >= onset), None)
    if pending is None:
        return
    parcel.stuck_from = max(onset, parcel.shipped_at)
    flagged = first_exception_at + rng.uniform(0, 10) * HOUR
    parcel.resumes_at = flagged + rng.uniform(4, 30) * HOUR
    stop = parcel.scans[pending].stop
    exception = Scan(TS.EXCEPTION, flagged, stop, rng.choice(DISRUPTION_DESCRIPTIONS[stop]))
    _shift(parcel.scans, pending, max(parcel.resumes_at - parcel.scans[pending].at, timedelta()))
    parcel.scans.insert(pending, exception)
    delivered = parcel.delivered_at
    if delivered is not None:
        parcel.estimated = max(parcel.estimated, delivered.date())
