"""A simulated store for the early-warning scenario: a few weeks of orders from the demo's four
warehouses with its three carriers, their scans and their customers' contacts, generated in
memory from a seed and written with bulk inserts (fast: a month in a few seconds).

Rows are history: no service runs, no outbox message is written, nobody is emailed. Every row
carries its simulated time (created_at included), and the database holds the store as it stands
at `end`; the detection reads it "as of" any earlier moment from the timestamps alone.
Orders carry no lines: detection and exposure read shipments and contacts only."""

import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from django.db import transaction

from insights.scenarios.bulk import insert_rows
from insights.scenarios.contacts import ContactPlan, plan_contacts
from insights.scenarios.parcels import STATUS_AFTER_SCAN, Parcel, disrupt, plan_parcel
from oms.actors import Actor
from orders.demo import data as demo
from orders.demo.carriers import Disruption
from orders.models import Customer, Order, Shipment, TrackingEvent, Warehouse
from support.models import Case, CaseEvent

HOUR = timedelta(hours=1)
DELAY_WATCH_EVERY = timedelta(minutes=15)
STALLED_AFTER = timedelta(hours=48)  # the delay watch's default (OMS_STALLED_AFTER)
# Orders by day of the week (Monday first) and by hour of the day (UTC: US shoppers).
WEEKDAY = (1.1, 1.05, 1.0, 1.0, 0.95, 0.85, 1.05)
ORDER_HOURS = [0.6] * 4 + [0.25] * 8 + [0.7, 0.9] + [1.3] * 10
WAREHOUSE_SHARES = {"EAST": 0.4, "WEST": 0.25, "SOUTH": 0.2, "CENTRAL": 0.15}
SPLIT_SHARE = 0.08  # orders shipped from two warehouses


@dataclass(frozen=True)
class ScenarioSpec:
    """What to simulate. The disruption hits `disruption.carrier` at `onset`; its first
    exception scan comes `scan_lag_hours` later (drawn in the range)."""

    start: datetime
    days: int
    orders_per_day: float = 200
    seed: int = 2026
    disruption: Disruption = field(default_factory=Disruption)
    onset: datetime | None = None
    scan_lag_hours: tuple[float, float] = (24, 36)
    # Days with a sale: that many times the orders (a busier week must not look like trouble).
    sale_days: dict[int, float] = field(default_factory=dict)

    @property
    def end(self) -> datetime:
        return self.start + timedelta(days=self.days)


@dataclass
class OrderPlan:
    number: str
    placed_at: datetime
    person: demo.PersonSeed
    method: str
    parcels: list[Parcel]
    contact: ContactPlan | None = None
    pk: int | None = None


@dataclass
class Store:
    """The generated store: its plans (with the database ids once written) and the figures a
    scenario asserts on."""

    spec: ScenarioSpec
    orders: list[OrderPlan]
    first_exception_at: datetime | None = None  # the disrupted carrier's, after the onset

    @property
    def parcels(self) -> Iterator[tuple[OrderPlan, Parcel]]:
        for order in self.orders:
            for parcel in order.parcels:
                yield order, parcel

    def orders_in_flight_with(self, carrier: str, at: datetime) -> set[int]:
        """Ids of the orders with a parcel of `carrier` in flight at `at`."""
        return {
            order.pk
            for order, parcel in self.parcels
            if parcel.carrier == carrier and parcel.is_in_flight(at)
        }

    @property
    def contacts(self) -> int:
        return sum(len(order.contact.times) for order in self.orders if order.contact)


def generate(spec: ScenarioSpec) -> Store:
    """Plan every order placed before `spec.end`, its parcels and its customer's contacts."""
    rng = random.Random(spec.seed)
    people = demo.make_people(random.Random(spec.seed + 1), max(50, int(spec.orders_per_day * 3)))
    methods = demo.SHIPPING_METHODS
    store = Store(spec=spec, orders=[])
    first_exception_at = recovered_at = None
    if spec.disruption and spec.onset is not None:
        first_exception_at = spec.onset + rng.uniform(*spec.scan_lag_hours) * HOUR
        recovered_at = first_exception_at + 30 * HOUR
    for day in range(spec.days):
        midnight = spec.start + timedelta(days=day)
        expected = spec.orders_per_day * WEEKDAY[midnight.weekday()] * spec.sale_days.get(day, 1.0)
        count = max(0, round(rng.gauss(expected, expected**0.5)))
        hours = rng.choices(range(24), weights=ORDER_HOURS, k=count)
        for placed_at in sorted(midnight + (h + rng.random()) * HOUR for h in hours):
            method = rng.choices([m[0] for m in methods], weights=[m[1] for m in methods])[0]
            codes = list(WAREHOUSE_SHARES)
            weights = list(WAREHOUSE_SHARES.values())
            warehouses = [rng.choices(codes, weights=weights)[0]]
            if rng.random() < SPLIT_SHARE:
                warehouses.append(rng.choice([code for code in codes if code != warehouses[0]]))
            parcels = [
                plan_parcel(rng, placed_at=placed_at, warehouse=code, method=method)
                for code in warehouses
            ]
            for parcel in parcels:
                if first_exception_at and parcel.carrier == spec.disruption.carrier:
                    disrupt(
                        parcel,
                        rng=rng,
                        onset=spec.onset,
                        first_exception_at=first_exception_at,
                        recovered_at=recovered_at,
                    )
            number = f"S{spec.seed % 100:02d}{len(store.orders) + 1:06d}"
            order = OrderPlan(number, placed_at, rng.choice(people), method, parcels)
            order.contact = plan_contacts(rng, parcels, placed_at=placed_at, end=spec.end)
            store.orders.append(order)
    if first_exception_at is not None:
        store.first_exception_at = min(
            (
                scan.at
                for _order, parcel in store.parcels
                if parcel.carrier == spec.disruption.carrier
                for scan in parcel.scans
                if scan.status == "exception" and scan.at >= spec.onset
            ),
            default=None,
        )
    return store


# --- writing ----------------------------------------------------------------------------------


def ensure_warehouses() -> dict[str, Warehouse]:
    """The demo's warehouses (orders.demo.data.WAREHOUSES)."""
    warehouses = {}
    for code, name, region, city, postal_code, priority in demo.WAREHOUSES:
        warehouses[code], _ = Warehouse.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "region": region,
                "city": city,
                "postal_code": postal_code,
                "priority": priority,
            },
        )
    return warehouses


def write(store: Store) -> Store:
    """Write the store as it stands at its end; fills in the plans' database ids."""
    end = store.spec.end
    rng = random.Random(store.spec.seed + 2)
    with transaction.atomic():
        warehouses = ensure_warehouses()
        customers = _write_customers(store)
        _write_orders(store, customers, end)
        _write_shipments(store, warehouses, end, rng)
        _write_cases(store, customers, end, rng)
    return store


def _write_customers(store: Store) -> dict[str, int]:
    people = {order.person.email: order.person for order in store.orders}
    existing = dict(Customer.objects.filter(email__in=list(people)).values_list("email", "pk"))
    insert_rows(
        Customer,
        [
            {
                "name": p.name,
                "email": p.email,
                "phone": p.phone,
                "locale": p.locale,
                "country": "US",
                "time_zone": "",
                "created_at": store.spec.start,
            }
            for email, p in sorted(people.items())
            if email not in existing
        ],
    )
    return dict(Customer.objects.filter(email__in=list(people)).values_list("email", "pk"))


def _order_status(parcels: list[Parcel], end: datetime) -> str:
    shipped = [p for p in parcels if p.shipped_at <= end]
    delivered = [p for p in shipped if p.delivered_at and p.delivered_at <= end]
    if delivered and len(delivered) == len(parcels):
        return Order.Status.DELIVERED
    if delivered:
        return Order.Status.PARTIALLY_DELIVERED
    if shipped and len(shipped) == len(parcels):
        return Order.Status.SHIPPED
    if shipped:
        return Order.Status.PARTIALLY_SHIPPED
    return Order.Status.CONFIRMED


def _write_orders(store: Store, customers: dict[str, int], end: datetime) -> None:
    rows = []
    for order in store.orders:
        person = order.person
        subtotal = Decimal(20 + (int(order.number[-4:]) * 37) % 180)
        shipping = Decimal(0) if subtotal >= demo.FREE_SHIPPING_FROM else Decimal("6.95")
        rows.append(
            {
                "number": order.number,
                "channel": Order.Channel.WEB.value,
                "external_reference": "",
                "status": str(_order_status(order.parcels, end)),
                "held_from_status": "",
                "hold_reason": "",
                "customer_id": customers[person.email],
                "email": person.email,
                "phone": person.phone,
                "locale": person.locale,
                "shipping_address": person.address,
                "billing_address": person.address,
                "shipping_method": order.method,
                "currency": demo.CURRENCY,
                "shipping_price": shipping,
                "order_discount": Decimal(0),
                "refunded_for_returns": Decimal(0),
                "subtotal": subtotal,
                "discount_total": Decimal(0),
                "shipping_total": shipping,
                "total": subtotal + shipping,
                "promised_delivery_date": max(p.promised for p in order.parcels),
                "placed_by_kind": "system",
                "placed_by_label": "storefront",
                "note": "",
                "needs_attention": False,
                "attention_reason": "",
                "created_at": order.placed_at,
                "updated_at": end,
            }
        )
    insert_rows(Order, rows)
    ids = dict(
        Order.objects.filter(number__in=[o.number for o in store.orders]).values_list(
            "number", "pk"
        )
    )
    for order in store.orders:
        order.pk = ids[order.number]


def _delay_flag(parcel: Parcel, end: datetime) -> tuple[datetime | None, str]:
    """When the delay watch (every 15 minutes) would have flagged the parcel, and why."""
    delivered = parcel.delivered_at
    candidates = []
    exception = next((s.at for s in parcel.scans if s.status == "exception"), None)
    if exception is not None:
        candidates.append((exception, "exception"))
    previous = parcel.shipped_at
    for scan in [*parcel.scans, None]:
        at = scan.at if scan else end
        if at - previous > STALLED_AFTER:
            candidates.append((previous + STALLED_AFTER, "stalled"))
            break
        previous = at
    promised_over = datetime.combine(parcel.promised, datetime.min.time(), UTC) + timedelta(
        days=1, hours=12
    )
    candidates.append((promised_over, "late"))
    for at, reason in sorted(candidates, key=lambda c: c[0]):
        flagged = _next_watch(at)
        if flagged <= end and (delivered is None or flagged < delivered):
            return flagged, reason
    return None, ""


def _next_watch(at: datetime) -> datetime:
    seconds = DELAY_WATCH_EVERY.total_seconds()
    return datetime.fromtimestamp((at.timestamp() // seconds + 1) * seconds, UTC)


def _write_shipments(
    store: Store, warehouses: dict[str, Warehouse], end: datetime, rng: random.Random
) -> None:
    rows, numbers, tracking_of = [], set(), {}
    for order in store.orders:
        for index, parcel in enumerate(order.parcels, start=1):
            number = f"{order.number}-{index}"
            shipped = parcel.shipped_at <= end
            scans = [scan for scan in parcel.scans if scan.at <= end] if shipped else []
            tracking = ""
            while shipped and (not tracking or (parcel.carrier, tracking) in numbers):
                tracking = demo.tracking_number(rng, parcel.carrier)
            numbers.add((parcel.carrier, tracking))
            tracking_of[number] = tracking
            delayed_at, reason = _delay_flag(parcel, end) if shipped else (None, "")
            if scans:
                status = STATUS_AFTER_SCAN[scans[-1].status]
            else:
                status = Shipment.Status.SHIPPED if shipped else Shipment.Status.PENDING
            delivered = parcel.delivered_at
            rows.append(
                {
                    "order_id": order.pk,
                    "warehouse_id": warehouses[parcel.warehouse].pk,
                    "number": number,
                    "status": str(status),
                    "carrier": parcel.carrier if shipped else "",
                    "service": demo.SERVICES[parcel.method] if shipped else "",
                    "tracking_number": tracking,
                    "promised_delivery_date": parcel.promised,
                    "estimated_delivery_date": parcel.estimated if shipped else None,
                    "shipped_at": parcel.shipped_at if shipped else None,
                    "delivered_at": delivered if delivered and delivered <= end else None,
                    "last_tracking_at": scans[-1].at if scans else None,
                    "delayed_at": delayed_at,
                    "delay_reason": reason,
                    "created_at": order.placed_at,
                    "updated_at": end,
                }
            )
    insert_rows(Shipment, rows)
    ids = dict(
        Shipment.objects.filter(order_id__in=[o.pk for o in store.orders]).values_list(
            "number", "pk"
        )
    )
    events = []
    for order in store.orders:
        destination = f"{order.person.address['city']}, {order.person.address['region']}"
        for index, parcel in enumerate(order.parcels, start=1):
            number = f"{order.number}-{index}"
            parcel.pk = ids[number]
            tracking = tracking_of[number]
            if not tracking:
                continue
            stops = demo.route(parcel.carrier, warehouses[parcel.warehouse], destination)
            actor = Actor.system(f"{parcel.carrier} tracking").as_fields()
            for sequence, scan in enumerate(parcel.scans, start=1):
                if scan.at > end:
                    break
                events.append(
                    {
                        "shipment_id": parcel.pk,
                        "carrier": parcel.carrier,
                        "carrier_event_id": f"{tracking}-{sequence}",
                        "status": scan.status,
                        "description": scan.description,
                        "location": stops[scan.stop],
                        "occurred_at": scan.at,
                        "received_at": scan.at,
                        "applied_at": scan.at,
                        **actor,
                    }
                )
    insert_rows(TrackingEvent, events)


def _write_cases(
    store: Store, customers: dict[str, int], end: datetime, rng: random.Random
) -> None:
    agent = Actor.system("support").as_fields()
    cases, again = [], {}
    for order in store.orders:
        contact = order.contact
        times = [at for at in contact.times if at <= end] if contact else []
        if not times:
            continue
        resolved = times[-1] + rng.uniform(0.1, 30) * HOUR
        is_resolved = resolved <= end
        cases.append(
            {
                "customer_id": customers[order.person.email],
                "order_id": order.pk,
                "shipment_id": contact.parcel.pk if contact.parcel else None,
                "channel": contact.channel,
                "reason": contact.reason,
                "subject": str(Case.Reason(contact.reason).label),
                "status": str(Case.Status.RESOLVED if is_resolved else Case.Status.OPEN),
                "contact_count": len(times),
                "opened_at": times[0],
                "last_contact_at": times[-1],
                "resolved_at": resolved if is_resolved else None,
                "resolution": "Answered the customer." if is_resolved else "",
                "csat_comment": "",
            }
        )
        again[order.pk] = times[1:]
    insert_rows(Case, cases)
    case_ids = dict(Case.objects.filter(order_id__in=list(again)).values_list("order_id", "pk"))
    insert_rows(
        CaseEvent,
        [
            {
                "case_id": case_ids[order_id],
                "type": CaseEvent.Type.CONTACT.value,
                "text": "The customer contacted us again.",
                "order_id": order_id,
                "data": {},
                "created_at": at,
                **agent,
            }
            for order_id, times in again.items()
            for at in times
        ],
    )
