"""Shipments: one per warehouse at confirmation, split into parcels on request, picked, packed,
shipped; carrier scans are stored as they arrive and applied by a worker, moving them on; the
order's status follows its shipments."""

import logging
from collections import defaultdict
from datetime import datetime, timedelta
from functools import partial

from django.db import IntegrityError, transaction
from django.utils import timezone

from oms.actors import Actor
from oms.exceptions import (
    Conflict,
    DomainError,
    InvalidTransition,
    NotFound,
    ValidationFailed,
)
from orders import selectors
from orders.models import (
    Allocation,
    Order,
    OrderEvent,
    OrderLine,
    Shipment,
    ShipmentLine,
    StockMovement,
    TrackingEvent,
)
from orders.models.fulfilment import IN_WAREHOUSE, WITH_CARRIER
from orders.services import events, inventory, payments

logger = logging.getLogger(__name__)

SS = Shipment.Status
OS = Order.Status
TRANSIT_DAYS = {"standard": 4, "express": 2, "next_day": 1, "pickup": 1}
TRACKING_TO_SHIPMENT = {
    TrackingEvent.Status.PICKED_UP: SS.IN_TRANSIT,
    TrackingEvent.Status.IN_TRANSIT: SS.IN_TRANSIT,
    TrackingEvent.Status.OUT_FOR_DELIVERY: SS.OUT_FOR_DELIVERY,
    TrackingEvent.Status.DELIVERED: SS.DELIVERED,
    TrackingEvent.Status.EXCEPTION: SS.EXCEPTION,
}
SHIPMENT_NOTIFY = {
    SS.SHIPPED: "shipment.shipped",
    SS.IN_TRANSIT: "shipment.in_transit",
    SS.OUT_FOR_DELIVERY: "shipment.out_for_delivery",
    SS.DELIVERED: "shipment.delivered",
    SS.EXCEPTION: "shipment.exception",
}


def shipment_payload(shipment: Shipment) -> dict:
    return {
        "number": shipment.number,
        "status": shipment.status,
        "warehouse": shipment.warehouse.code if shipment.warehouse_id else None,
        "carrier": shipment.carrier,
        "tracking_number": shipment.tracking_number,
        "estimated_delivery_date": shipment.estimated_delivery_date,
    }


def next_shipment_number(order: Order) -> str:
    """The next shipment number, `<order number>-<n>`. Caller holds the order lock."""
    return f"{order.number}-{Shipment.objects.filter(order=order).count() + 1}"


def create_initial_shipments(*, order: Order, actor: Actor) -> list[Shipment]:
    """One shipment per warehouse holding the order's allocations. Caller holds the order lock."""
    by_warehouse: dict[int, list[Allocation]] = defaultdict(list)
    for allocation in Allocation.objects.filter(order=order, quantity__gt=0).order_by("pk"):
        by_warehouse[allocation.warehouse_id].append(allocation)
    groups = sorted(by_warehouse.items())
    # Two statements whatever the number of warehouses (the database returns the new ids).
    shipments = Shipment.objects.bulk_create(
        Shipment(
            order=order,
            warehouse_id=warehouse_id,
            number=f"{order.number}-{index}",
            promised_delivery_date=order.promised_delivery_date,
        )
        for index, (warehouse_id, _allocations) in enumerate(groups, start=1)
    )
    ShipmentLine.objects.bulk_create(
        ShipmentLine(shipment=shipment, line_id=a.line_id, quantity=a.quantity)
        for shipment, (_warehouse_id, allocations) in zip(shipments, groups, strict=True)
        for a in allocations
    )
    if shipments:
        events.record(
            order,
            OrderEvent.Type.SHIPMENT_CREATED,
            actor=actor,
            data={"shipments": [s.number for s in shipments]},
            notify="shipment.created",
        )
    return shipments


def _assert_order_can_fulfil(order: Order) -> None:
    if order.status == OS.ON_HOLD:
        raise Conflict(
            f"Order {order.number} is on hold: {order.hold_reason}", code="order_on_hold"
        )
    if order.status in (OS.CANCELLED, OS.PENDING_PAYMENT):
        raise InvalidTransition(
            f"Order {order.number} is {order.get_status_display().lower()}; nothing to fulfil.",
            code="order_not_fulfillable",
        )


@transaction.atomic
def split_shipment(
    *, order: Order, warehouse_code: str, lines: list[tuple[int, int]], actor: Actor
) -> Shipment:
    """Move units of open (unshipped) shipments at one warehouse into a new parcel.

    `lines` are (order line id, units). Used when a warehouse ships part of an order first.
    """
    order = selectors.lock_order(order.pk)
    _assert_order_can_fulfil(order)
    open_lines = list(
        ShipmentLine.objects.select_for_update()
        .filter(
            shipment__order=order,
            shipment__warehouse__code=warehouse_code,
            shipment__status__in=IN_WAREHOUSE,
        )
        .select_related("shipment", "shipment__warehouse")
        .order_by("shipment_id")
    )
    if not open_lines:
        raise Conflict(
            f"No open shipment of order {order.number} at {warehouse_code}.", code="nothing_to_ship"
        )
    new = Shipment.objects.create(
        order=order,
        warehouse=open_lines[0].shipment.warehouse,
        number=next_shipment_number(order),
        promised_delivery_date=order.promised_delivery_date,
    )
    emptied = set()
    for line_id, units in lines:
        candidates = [sl for sl in open_lines if sl.line_id == line_id and sl.shipment_id != new.pk]
        if units <= 0 or sum(sl.quantity for sl in candidates) < units:
            raise ValidationFailed(
                f"Line {line_id} has fewer than {units} units waiting at {warehouse_code}.",
                code="quantity_not_available",
                errors=[
                    {
                        "field": "lines",
                        "code": "quantity_not_available",
                        "message": f"line {line_id}: not enough units waiting",
                    }
                ],
            )
        remaining = units
        for shipment_line in candidates:
            take = min(shipment_line.quantity, remaining)
            shipment_line.quantity -= take
            remaining -= take
            if shipment_line.quantity == 0:
                shipment_line.delete()
                emptied.add(shipment_line.shipment_id)
            else:
                shipment_line.save(update_fields=["quantity"])
            if remaining == 0:
                break
        ShipmentLine.objects.create(shipment=new, line_id=line_id, quantity=units)
    Shipment.objects.filter(pk__in=emptied, lines__isnull=True).update(status=SS.CANCELLED)
    events.record(
        order,
        OrderEvent.Type.SHIPMENT_CREATED,
        actor=actor,
        data={"shipments": [new.number], "split_from_warehouse": warehouse_code},
        notify="shipment.created",
    )
    return new


def _lock_shipment(shipment_id: int, order_id: int | None = None) -> tuple[Order, Shipment]:
    """Lock the shipment's order, then the shipment (the order lock always comes first)."""
    if order_id is None:
        order_id = (
            Shipment.objects.filter(pk=shipment_id).values_list("order_id", flat=True).first()
        )
    if order_id is None:
        raise NotFound(f"Shipment {shipment_id} does not exist.", code="shipment_not_found")
    order = selectors.lock_order(order_id)
    shipment = Shipment.objects.select_for_update().select_related("warehouse").get(pk=shipment_id)
    return order, shipment


def _refuse_transition(shipment: Shipment, status: str) -> InvalidTransition:
    return InvalidTransition(
        f"Shipment {shipment.number} is {shipment.get_status_display().lower()}; "
        f"it cannot become {SS(status).label.lower()}.",
        code="shipment_invalid_transition",
        extra={"current_status": shipment.status, "requested_status": status},
    )


@transaction.atomic
def advance_shipment(*, shipment: Shipment, status: str, actor: Actor) -> Shipment:
    """Warehouse steps before the carrier: picking, packed."""
    if status not in (SS.PICKING, SS.PACKED):
        raise ValidationFailed(
            "Only picking and packed are warehouse steps.", code="invalid_status"
        )
    order, shipment = _lock_shipment(shipment.pk)
    _assert_order_can_fulfil(order)
    if not shipment.can_transition_to(status):
        raise _refuse_transition(shipment, status)
    shipment.status = status
    shipment.save(update_fields=["status", "updated_at"])
    events.record(
        order,
        OrderEvent.Type.SHIPMENT_UPDATED,
        actor=actor,
        data={"shipment": shipment.number, "status": status},
        notify="shipment.updated",
    )
    sync_order_status(order=order, actor=actor)
    return shipment


@transaction.atomic
def ship_shipment(
    *, shipment: Shipment, carrier: str, tracking_number: str, service: str = "", actor: Actor
) -> Shipment:
    """Hand the parcel to the carrier: units leave stock, lines count them shipped, and the
    payment is captured for what shipped (after commit)."""
    order, shipment = _lock_shipment(shipment.pk)
    _assert_order_can_fulfil(order)
    if not shipment.can_transition_to(SS.SHIPPED):
        raise _refuse_transition(shipment, SS.SHIPPED)
    shipment_lines = list(shipment.lines.all())
    if not shipment_lines:
        raise Conflict(f"Shipment {shipment.number} is empty.", code="shipment_empty")
    allocations = {
        a.line_id: a
        for a in Allocation.objects.select_for_update().filter(
            order=order,
            warehouse_id=shipment.warehouse_id,
            line_id__in=[sl.line_id for sl in shipment_lines],
        )
    }
    lines = {line.pk: line for line in OrderLine.objects.filter(order=order)}
    stock_changes: dict[int, int] = defaultdict(int)
    for shipment_line in shipment_lines:
        allocation = allocations[shipment_line.line_id]
        allocation.quantity -= shipment_line.quantity
        stock_changes[allocation.stock_id] -= shipment_line.quantity
        lines[shipment_line.line_id].quantity_shipped += shipment_line.quantity
    Allocation.objects.bulk_update(allocations.values(), ["quantity"])
    OrderLine.objects.bulk_update(lines.values(), ["quantity_shipped"])
    inventory.move_allocated(
        stock_changes,
        kind=StockMovement.Kind.SHIPMENT,
        actor=actor,
        reason=f"shipment {shipment.number}",
        order=order,
    )
    now = timezone.now()
    shipment.status = SS.SHIPPED
    shipment.carrier, shipment.service, shipment.tracking_number = carrier, service, tracking_number
    shipment.shipped_at = now
    shipment.estimated_delivery_date = (
        now + timedelta(days=TRANSIT_DAYS.get(order.shipping_method, 4))
    ).date()
    try:
        with transaction.atomic():
            shipment.save()
    except IntegrityError:
        raise Conflict(
            f"Tracking number {tracking_number} is already used at {carrier}.",
            code="duplicate_tracking_number",
        ) from None
    events.record(
        order,
        OrderEvent.Type.SHIPPED,
        actor=actor,
        data={"shipment": shipment_payload(shipment)},
        notify="shipment.shipped",
    )
    sync_order_status(order=order, actor=actor, lines=list(lines.values()))
    payments.settle_payments_on_commit(
        order_id=order.pk, actor=actor, reason=f"shipment {shipment.number}"
    )
    return shipment


def record_tracking_event(
    *,
    carrier: str,
    tracking_number: str,
    carrier_event_id: str,
    status: str,
    occurred_at: datetime,
    location: str = "",
    description: str = "",
    actor: Actor,
    apply: bool = True,
) -> tuple[TrackingEvent, bool]:
    """Ingest one carrier scan. Returns (event, created).

    The scan is stored first; a repeat of the same carrier event id returns the stored one and
    changes nothing. With `apply` (direct callers: the demo, scripts) the scan also moves the
    shipment at once; without it (the API) a worker applies it after commit, and the periodic
    sweep applies what the worker never got. An unknown parcel is refused before anything is
    stored."""
    with transaction.atomic():
        event, created = _store_scan(
            carrier=carrier,
            tracking_number=tracking_number,
            carrier_event_id=carrier_event_id,
            status=status,
            occurred_at=occurred_at,
            location=location,
            description=description,
            actor=actor,
        )
        if apply:
            if event.applied_at is None:
                event = apply_tracking_event(event_id=event.pk) or event
        elif created:
            transaction.on_commit(partial(_enqueue_apply, event.pk))
    return event, created


def _store_scan(
    *,
    carrier: str,
    tracking_number: str,
    carrier_event_id: str,
    status: str,
    occurred_at: datetime,
    location: str,
    description: str,
    actor: Actor,
) -> tuple[TrackingEvent, bool]:
    """Keep the scan. No order lock: the unique (carrier, carrier_event_id) settles races."""
    existing = TrackingEvent.objects.filter(
        carrier=carrier, carrier_event_id=carrier_event_id
    ).first()
    if existing is not None:
        return existing, False
    shipment_id = (
        Shipment.objects.filter(carrier=carrier, tracking_number=tracking_number)
        .values_list("pk", flat=True)
        .first()
    )
    if shipment_id is None:
        raise NotFound(
            f"No shipment with {carrier} tracking number {tracking_number}.",
            code="shipment_not_found",
        )
    try:
        with transaction.atomic():
            event = TrackingEvent.objects.create(
                shipment_id=shipment_id,
                carrier=carrier,
                carrier_event_id=carrier_event_id,
                status=status,
                occurred_at=occurred_at,
                location=location[:128],
                description=description[:255],
                **actor.as_fields(),
            )
    except IntegrityError:
        # A concurrent copy of this scan committed first: answer with it.
        return TrackingEvent.objects.get(carrier=carrier, carrier_event_id=carrier_event_id), False
    return event, True


def _enqueue_apply(event_id: int) -> None:
    """Queue the worker that applies the scan; if the broker is down, the scan is kept and the
    sweep (apply_pending_tracking_events) applies it later, so the request still succeeds."""
    from orders import tasks

    try:
        tasks.apply_tracking_event.delay(event_id)
    except Exception as exc:  # noqa: BLE001 - any broker failure must not fail the caller
        logger.warning(
            "orders.tracking_enqueue_failed", extra={"event_id": event_id, "error": str(exc)}
        )


@transaction.atomic
def apply_tracking_event(*, event_id: int) -> TrackingEvent | None:
    """Apply a stored scan to its shipment and order, under the order lock. Safe to run twice
    (an applied scan is left alone) and in any order of arrival (see _apply_scan). Returns
    None when the scan no longer exists."""
    ids = (
        TrackingEvent.objects.filter(pk=event_id)
        .values_list("shipment_id", "shipment__order_id")
        .first()
    )
    if ids is None:
        return None
    order, shipment = _lock_shipment(*ids)
    # Every apply takes the order lock first, so this read cannot race another apply.
    event = TrackingEvent.objects.get(pk=event_id)
    if event.applied_at is not None:
        return event
    _apply_scan(order, shipment, event, event.actor)
    event.applied_at = timezone.now()
    event.save(update_fields=["applied_at"])
    return event


def apply_pending_tracking_events(*, older_than: timedelta, limit: int = 500) -> int:
    """Apply scans stored more than `older_than` ago and still not applied (their task was
    lost: broker down, worker died). Oldest carrier time first. Returns how many it went
    through (a scan a worker applied meanwhile is left as it is)."""
    cutoff = timezone.now() - older_than
    pending = list(
        TrackingEvent.objects.filter(applied_at__isnull=True, received_at__lt=cutoff)
        .order_by("occurred_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )
    applied = 0
    for event_id in pending:
        try:
            applied += apply_tracking_event(event_id=event_id) is not None
        except DomainError as exc:  # one bad scan must not hold up the others
            logger.error(
                "orders.tracking_apply_failed", extra={"event_id": event_id, "code": exc.code}
            )
    if pending:
        logger.info("orders.tracking_sweep", extra={"pending": len(pending), "applied": applied})
    return applied


def _apply_scan(order: Order, shipment: Shipment, event: TrackingEvent, actor: Actor) -> None:
    target = TRACKING_TO_SHIPMENT.get(event.status)
    is_newest = shipment.last_tracking_at is None or event.occurred_at >= shipment.last_tracking_at
    moves = (
        target is not None
        and shipment.status not in IN_WAREHOUSE
        and shipment.status != target
        and (is_newest or target == SS.DELIVERED)  # a late "delivered" still counts
        and shipment.can_transition_to(target)
    )
    if is_newest:
        shipment.last_tracking_at = event.occurred_at
    if moves:
        shipment.status = target
        if target == SS.DELIVERED:
            shipment.delivered_at = event.occurred_at
    shipment.save(update_fields=["status", "delivered_at", "last_tracking_at", "updated_at"])
    data = {
        "shipment": shipment.number,
        "carrier_status": event.status,
        "location": event.location,
        "occurred_at": event.occurred_at,
        "description": event.description,
    }
    if not moves:
        # Still news for the customer's live page and for integrators: every scan is an event.
        events.record(
            order, OrderEvent.Type.TRACKING, actor=actor, data=data, notify="shipment.scanned"
        )
        return
    event_type = {
        SS.DELIVERED: OrderEvent.Type.DELIVERED,
        SS.EXCEPTION: OrderEvent.Type.SHIPMENT_EXCEPTION,
    }.get(target, OrderEvent.Type.TRACKING)
    events.record(
        order,
        event_type,
        actor=actor,
        data={**data, "shipment_status": target},
        notify=SHIPMENT_NOTIFY.get(target),
    )
    sync_order_status(order=order, actor=actor)


def derive_fulfilment_status(lines: list[OrderLine], shipments: list[Shipment]) -> str:
    """The order status its lines and shipments imply (for an order being fulfilled)."""
    active = [s for s in shipments if s.status != SS.CANCELLED]
    sent = [s for s in active if s.status in WITH_CARRIER or s.status == SS.DELIVERED]
    delivered = [s for s in sent if s.status == SS.DELIVERED]
    unshipped = sum(line.quantity_unshipped for line in lines)
    if not sent:
        return (
            OS.PROCESSING
            if any(s.status in (SS.PICKING, SS.PACKED) for s in active)
            else OS.CONFIRMED
        )
    if unshipped == 0 and len(delivered) == len(sent):
        return OS.DELIVERED
    if delivered:
        return OS.PARTIALLY_DELIVERED
    return OS.SHIPPED if unshipped == 0 else OS.PARTIALLY_SHIPPED


def sync_order_status(*, order: Order, actor: Actor, lines: list[OrderLine] | None = None) -> None:
    """Move the order to the status its shipments imply. Caller holds the order lock."""
    if order.status in (OS.ON_HOLD, OS.CANCELLED, OS.PENDING_PAYMENT):
        return
    lines = lines if lines is not None else list(OrderLine.objects.filter(order=order))
    target = derive_fulfilment_status(lines, list(Shipment.objects.filter(order=order)))
    if target == order.status or not order.can_transition_to(target):
        return
    previous = order.status
    order.status = target
    order.save(update_fields=["status", "updated_at"])
    notify = {OS.DELIVERED: "order.delivered", OS.SHIPPED: "order.shipped"}.get(
        target, "order.updated"
    )
    events.record(
        order,
        OrderEvent.Type.STATUS_CHANGED,
        actor=actor,
        data={"from": previous, "to": target},
        notify=notify,
    )
