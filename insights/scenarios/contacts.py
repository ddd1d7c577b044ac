"""How the simulated store's customers contact support: rarely while all goes well, more when
their parcel has not moved for a day or is past its promised date, much more once their
carrier's tracking freezes in a disruption (they see no scan and the carrier's service notice,
and call). After delivery some write about damaged, wrong or missing items and returns. Calls
follow the contact centre's day (US daytime), and a customer who called once may call again.

Rates are per customer per hour, at the contact centre's average hour; the shares of the
reasons follow the demo's cases (support.demo.script): "where is my order" dominates while the
parcel travels."""

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from insights.scenarios.parcels import Parcel
from support.models import Case

R = Case.Reason
HOUR = timedelta(hours=1)
AFTER_DELIVERY = timedelta(days=10)  # contacts about a delivered order stop after this
STALE_AFTER = timedelta(hours=24)  # "no update for a day" on the tracking page
DISRUPTION_AWARENESS = timedelta(hours=1)  # the carrier's notice spreads in the first hour
PER_HOUR = {
    "waiting": 0.0006,  # ordered, not shipped yet: change or cancel, "when will it ship?"
    "moving": 0.0008,
    "stale": 0.005,
    "late": 0.01,
    "disrupted": 0.012,  # about one in four of them within a day
    "delivered": 0.0004,
}
PEAK = max(PER_HOUR.values())
REASONS: dict[str, dict[str, int]] = {
    "waiting": {R.CHANGE_ORDER: 4, R.WHERE_IS_MY_ORDER: 3, R.CANCEL: 2, R.PRODUCT_QUESTION: 1},
    "moving": {R.WHERE_IS_MY_ORDER: 6, R.DELAY: 1, R.CHANGE_ORDER: 1, R.OTHER: 1},
    "stale": {R.WHERE_IS_MY_ORDER: 6, R.DELAY: 3},
    "late": {R.WHERE_IS_MY_ORDER: 5, R.DELAY: 5},
    # Nobody has told them it is late yet: they ask where it is.
    "disrupted": {R.WHERE_IS_MY_ORDER: 8, R.DELAY: 2},
    "delivered": {
        R.RETURN_EXCHANGE: 7,
        R.DAMAGED: 5,
        R.WRONG_ITEM: 3,
        R.MISSING_ITEM: 3,
        R.BILLING_REFUND: 2,
        R.WHERE_IS_MY_ORDER: 1,
    },
}
# Worst first: an order's situation is its worst parcel's.
SEVERITY = ("disrupted", "late", "stale", "moving", "waiting", "delivered")
CHANNELS = {"phone": 40, "email": 25, "chat": 25, "portal": 10}
CALL_AGAIN = 0.4  # of the later moments a customer would call, the share they do
MAX_CONTACTS = 3


def hour_factor(at: datetime) -> float:
    """The contact centre's day: busy in US daytime (13:00-02:00 UTC), quiet at night."""
    return 1.5 if at.hour >= 13 or at.hour < 2 else 0.25


PEAK_FACTOR = 1.5


def situation(parcel: Parcel, at: datetime) -> str | None:
    """Where the parcel stands for its customer at `at`, or None once nobody calls about it."""
    if at < parcel.shipped_at:
        return "waiting"
    delivered = parcel.delivered_at
    if delivered is not None and delivered <= at:
        return "delivered" if at < delivered + AFTER_DELIVERY else None
    if parcel.is_stuck(at):
        return "disrupted"
    promised_end = datetime.combine(parcel.promised, datetime.min.time(), at.tzinfo)
    if at > promised_end + timedelta(days=1, hours=5):  # the promised day is over in the US
        return "late"
    last = parcel.last_scan_before(at) or parcel.shipped_at
    if at - last > STALE_AFTER:
        return "stale"
    return "moving"


def rate(parcel: Parcel, state: str, at: datetime) -> float:
    if state != "disrupted":
        return PER_HOUR[state]
    # Awareness spreads: from the usual rate to the disruption's over the first hours.
    known_for = (at - parcel.stuck_from) / DISRUPTION_AWARENESS
    return PER_HOUR["moving"] + (PER_HOUR["disrupted"] - PER_HOUR["moving"]) * min(known_for, 1)


@dataclass
class ContactPlan:
    """One support case: the first contact opens it, later ones are further contacts."""

    reason: str
    channel: str
    parcel: Parcel | None  # the parcel the agent linked, when the contact was about one
    times: list[datetime] = field(default_factory=list)


def plan_contacts(
    rng: random.Random,
    parcels: list[Parcel],
    *,
    placed_at: datetime,
    end: datetime,
) -> ContactPlan | None:
    """The order's case, if its customer contacts us before `end`: a thinned Poisson process
    (candidates at the peak rate, each kept with the true rate's share)."""
    horizon = end
    delivered = [parcel.delivered_at for parcel in parcels]
    if all(delivered):
        horizon = min(end, max(delivered) + AFTER_DELIVERY)
    at, plan = placed_at, None
    while True:
        at += rng.expovariate(PEAK * PEAK_FACTOR) * HOUR
        if at > horizon:
            return plan
        states = [(situation(parcel, at), parcel) for parcel in parcels]
        states = [(state, parcel) for state, parcel in states if state is not None]
        if not states:
            continue
        state, parcel = min(states, key=lambda sp: SEVERITY.index(sp[0]))
        chance = rate(parcel, state, at) * hour_factor(at) / (PEAK * PEAK_FACTOR)
        if rng.random() >= chance:
            continue
        if plan is None:
            reasons = REASONS[state]
            plan = ContactPlan(
                reason=rng.choices(list(reasons), weights=list(reasons.values()))[0],
                channel=rng.choices(list(CHANNELS), weights=list(CHANNELS.values()))[0],
                parcel=parcel if state != "waiting" and rng.random() < 0.7 else None,
                times=[at],
            )
        elif (
            len(plan.times) < MAX_CONTACTS
            and at - plan.times[-1] > HOUR / 2
            and rng.random() < CALL_AGAIN
        ):
            plan.times.append(at)
