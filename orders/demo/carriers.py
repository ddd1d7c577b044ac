"""Carriers and warehouses in real time, for the demo (`manage.py simulate_carriers`): each tick
moves a few parcels one realistic step through the real services, so the console and the
tracking page update live; a disruption at one carrier or warehouse stalls its parcels or
sends them into exception, which the delay watch and the insights pages then pick up."""

import random
from collections import Counter
from dataclasses import dataclass, field

from django.utils import timezone

from oms.actors import Actor
from oms.exceptions import Conflict, DomainError
from orders.demo import data as demo
from orders.models import Order, Shipment, TrackingEvent
from orders.models.fulfilment import IN_WAREHOUSE
from orders.services import advance_shipment, record_tracking_event, ship_shipment

SS = Shipment.Status
TS = TrackingEvent.Status
# Parcels the carriers still carry; exceptions are attempted again.
IN_FLIGHT = (SS.SHIPPED, SS.IN_TRANSIT, SS.OUT_FOR_DELIVERY, SS.EXCEPTION)
# Orders whose warehouse work may go on.
FULFILLABLE = (Order.Status.CONFIRMED, Order.Status.PROCESSING, Order.Status.PARTIALLY_SHIPPED)
WAREHOUSE_STEP = {SS.PENDING: SS.PICKING, SS.PICKING: SS.PACKED, SS.PACKED: SS.SHIPPED}
DOORSTEP_EXCEPTION_RATE = 0.06  # a normal day: a few deliveries fail at the door
# Scan texts for a disrupted network, by stop on the route (the doorstep reuses demo's).
DISRUPTION_DESCRIPTIONS = {
    0: ("Pickup missed: carrier capacity exceeded", "Package held at origin: network delay"),
    1: (
        "Delayed at sorting facility: operational disruption",
        "Missed scheduled transit: carrier network delay",
    ),
    2: demo.SCAN_DESCRIPTIONS["exception", 2],
}


@dataclass(frozen=True)
class Disruption:
    """Parcels of a carrier, or shipped from a warehouse, stop moving: most ticks they get no
    scan at all (a stall), otherwise an exception; a disrupted warehouse ships nothing new."""

    carrier: str = ""
    warehouse: str = ""
    exception_rate: float = 0.35

    def __bool__(self) -> bool:
        return bool(self.carrier or self.warehouse)

    def hits(self, carrier: str, warehouse: str) -> bool:
        return bool(self) and (carrier == self.carrier or warehouse == self.warehouse)

    def describe(self) -> str:
        where = " and ".join(
            part
            for part in (
                f"carrier {self.carrier}" if self.carrier else "",
                f"warehouse {self.warehouse}" if self.warehouse else "",
            )
            if part
        )
        return (
            f"Disruption at {where}: its parcels stall (no scans) "
            f"{1 - self.exception_rate:.0%} of the time and hit exceptions otherwise"
            + ("; the warehouse ships nothing new." if self.warehouse else ".")
        )


@dataclass
class Tick:
    """What one tick did, for the command's output and for tests."""

    lines: list[str] = field(default_factory=list)
    counts: Counter = field(default_factory=Counter)

    def note(self, kind: str, text: str) -> None:
        kind = str(kind)  # a status choice reads as its value
        self.counts[kind] += 1
        self.lines.append(f"  {kind:<9} {text}")


def next_scan(history: list[str]) -> tuple[str, int]:
    """The carrier's next scan after the scans so far (oldest first): (status, stop on route).
    Route stops: 0 the warehouse's city, 1 the carrier's hub, 2 the customer's city. After an
    exception the parcel resumes where it was; a failed delivery is attempted again."""
    scans = [status for status in history if status != TS.INFO]
    moves = [status for status in scans if status != TS.EXCEPTION]
    last = moves[-1] if moves else TS.LABEL_CREATED
    if last == TS.LABEL_CREATED:
        return TS.PICKED_UP, 0
    if last == TS.PICKED_UP:
        return TS.IN_TRANSIT, 1
    if last == TS.IN_TRANSIT and moves.count(last) == 1:
        return TS.IN_TRANSIT, 2
    if last == TS.OUT_FOR_DELIVERY and scans[-1] != TS.EXCEPTION:
        return TS.DELIVERED, 2
    # Arrived at the local facility, or the next attempt after a failed delivery.
    return TS.OUT_FOR_DELIVERY, 2


class CarrierSimulation:
    """One tick at a time: warehouse steps for a few open shipments, a carrier scan for a few
    parcels in flight. Every change goes through the services (scans through the same
    ingestion as the API), so timelines, outbox messages and live updates are real."""

    def __init__(
        self,
        *,
        rng: random.Random,
        speed: float = 1.0,
        disruption: Disruption | None = None,
        scans_per_tick: float = 2.0,
        warehouse_steps_per_tick: float = 1.0,
    ) -> None:
        self.rng = rng
        self.speed = speed
        self.disruption = disruption or Disruption()
        self.scans_per_tick = scans_per_tick
        self.warehouse_steps_per_tick = warehouse_steps_per_tick
        self.wms = Actor.system("wms")
        self.shipped_now: set[int] = set()

    def _how_many(self, rate: float) -> int:
        """`rate * speed` on average: the whole part always, the fraction by chance."""
        expected = max(rate * self.speed, 0.0)
        whole = int(expected)
        return whole + (self.rng.random() < expected - whole)

    def tick(self) -> Tick:
        tick = Tick()
        self.shipped_now = set()  # the carrier scans these from the next tick on
        self.warehouse_work(tick, self._how_many(self.warehouse_steps_per_tick))
        self.carrier_scans(tick, self._how_many(self.scans_per_tick))
        return tick

    # --- warehouses ---------------------------------------------------------------------------

    def warehouse_work(self, tick: Tick, count: int) -> None:
        open_shipments = Shipment.objects.filter(
            status__in=IN_WAREHOUSE, order__status__in=FULFILLABLE
        )
        if self.disruption.warehouse:
            open_shipments = open_shipments.exclude(warehouse__code=self.disruption.warehouse)
        ids = list(open_shipments.order_by("pk").values_list("pk", flat=True))
        chosen = sorted(self.rng.sample(ids, min(count, len(ids))))
        for shipment in Shipment.objects.filter(pk__in=chosen).select_related("order", "warehouse"):
            step = WAREHOUSE_STEP[shipment.status]
            try:
                if step == SS.SHIPPED:
                    self.ship(shipment, tick)
                else:
                    advance_shipment(shipment=shipment, status=step, actor=self.wms)
                    tick.note(step, f"{shipment.number} at {shipment.warehouse.code}")
            except DomainError as exc:  # e.g. put on hold meanwhile: the services said no
                tick.note("refused", f"{shipment.number}: {exc.code}")

    def ship(self, shipment: Shipment, tick: Tick) -> None:
        carrier = demo.pick_carrier(self.rng)
        for _attempt in range(3):
            number = demo.tracking_number(self.rng, carrier)
            try:
                ship_shipment(
                    shipment=shipment,
                    carrier=carrier,
                    tracking_number=number,
                    service=demo.SERVICES.get(shipment.order.shipping_method, "Ground"),
                    actor=self.wms,
                )
            except Conflict as exc:
                if exc.code != "duplicate_tracking_number":
                    raise
                continue
            self.shipped_now.add(shipment.pk)
            tick.note("shipped", f"{shipment.number} from {shipment.warehouse.code}: {number}")
            return

    # --- carriers -----------------------------------------------------------------------------

    def carrier_scans(self, tick: Tick, count: int) -> None:
        ids = list(
            Shipment.objects.filter(status__in=IN_FLIGHT, carrier__in=demo.CARRIERS)
            .exclude(pk__in=self.shipped_now)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        chosen = sorted(self.rng.sample(ids, min(count, len(ids))))
        history: dict[int, list[str]] = {pk: [] for pk in chosen}
        for shipment_id, status in (
            TrackingEvent.objects.filter(shipment_id__in=chosen)
            .order_by("occurred_at", "pk")
            .values_list("shipment_id", "status")
        ):
            history[shipment_id].append(status)
        for shipment in Shipment.objects.filter(pk__in=chosen).select_related("order", "warehouse"):
            self.scan(shipment, history[shipment.pk], tick)

    def scan(self, shipment: Shipment, history: list[str], tick: Tick) -> None:
        status, stop = next_scan(history)
        address = shipment.order.shipping_address
        stops = demo.route(
            shipment.carrier,
            shipment.warehouse,
            f"{address.get('city', '')}, {address.get('region', '')}".strip(", "),
        )
        label = f"{shipment.number} {shipment.carrier} {shipment.tracking_number}"
        if self.disruption.hits(shipment.carrier, shipment.warehouse.code):
            if self.rng.random() >= self.disruption.exception_rate:
                tick.note("stalled", f"{label}: no scan (disruption)")
                return
            status = TS.EXCEPTION
            description = self.rng.choice(DISRUPTION_DESCRIPTIONS[stop])
        elif status == TS.DELIVERED and self.rng.random() < DOORSTEP_EXCEPTION_RATE:
            status = TS.EXCEPTION
            description = self.rng.choice(demo.SCAN_DESCRIPTIONS[status, stop])
        else:
            description = self.rng.choice(demo.SCAN_DESCRIPTIONS[status, stop])
        record_tracking_event(
            carrier=shipment.carrier,
            tracking_number=shipment.tracking_number,
            carrier_event_id=f"{shipment.tracking_number}-{len(history) + 1}",
            status=status,
            occurred_at=timezone.now(),
            location=stops[stop],
            description=description,
            actor=Actor.system(f"{shipment.carrier} tracking"),
        )
        tick.note(status, f"{label} at {stops[stop]}: {description}")
