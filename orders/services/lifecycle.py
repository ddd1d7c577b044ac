"""Cancelling whole orders or single lines, and holds. Each checks the transition table under
the order lock, records the event and outbox row, then settles the money after commit."""

from collections import defaultdict
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from oms.actors import Actor
from oms.exceptions import InvalidTransition, ValidationFailed
from orders import pricing, selectors
from orders.models import Allocation, Order, OrderEvent, OrderLine, Shipment, ShipmentLine
from orders.models.fulfilment import IN_WAREHOUSE
from orders.models.orders import UNSHIPPED_STATUSES
from orders.services import events, fulfilment, inventory, payments

OS = Order.Status


def _refuse(order: Order, action: str, code: str) -> InvalidTransition:
    return InvalidTransition(
        f"Order {order.number} is {order.get_status_display().lower()}; it cannot be {action}.",
        code=code,
        extra={"current_status": order.status},
    )


def require_reason(reason: str) -> str:
    """The reason stripped; refused with a `reason` field error when blank."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(
            "Give a reason.",
            code="reason_required",
            errors=[{"field": "reason", "code": "required", "message": "A reason is required."}],
        )
    return reason


def _refresh_totals(order: Order, lines: list[OrderLine]) -> None:
    totals = pricing.order_totals(order, lines)
    order.subtotal, order.discount_total = totals.subtotal, totals.discount_total
    order.shipping_total, order.total = totals.shipping_total, totals.total


@transaction.atomic
def cancel_order(*, order: Order, actor: Actor, reason: str, notify_customer: bool = True) -> Order:
    """Cancel an order before anything has shipped: release its stock, stop its shipments, and
    void or refund its payment (after commit). Cancelling a cancelled order changes nothing.

    `notify_customer=False` when the customer already knows (their card was declined at
    checkout): integrators still hear of it, the customer gets no cancellation email."""
    reason = require_reason(reason)
    order = selectors.lock_order(order.pk)
    if order.status == OS.CANCELLED:
        return order  # a retried request must not refund twice
    if not order.can_transition_to(OS.CANCELLED):
        raise _refuse(order, "cancelled", "order_not_cancellable")
    lines = list(OrderLine.objects.filter(order=order))
    allocations = list(Allocation.objects.select_for_update().filter(order=order, quantity__gt=0))
    inventory.release_allocations(
        allocations, actor=actor, reason=f"order {order.number} cancelled", order=order
    )
    Allocation.objects.filter(pk__in=[a.pk for a in allocations]).update(quantity=0)
    Shipment.objects.filter(order=order, status__in=IN_WAREHOUSE).update(
        status=Shipment.Status.CANCELLED
    )
    for line in lines:
        line.quantity_cancelled = line.quantity - line.quantity_shipped
    OrderLine.objects.bulk_update(lines, ["quantity_cancelled"])
    _mark_cancelled(order, lines, actor=actor, reason=reason, notify_customer=notify_customer)
    payments.settle_payments_on_commit(order_id=order.pk, actor=actor, reason=reason)
    return order


def _mark_cancelled(
    order: Order,
    lines: list[OrderLine],
    *,
    actor: Actor,
    reason: str,
    notify_customer: bool = True,
) -> None:
    """Nothing is owed any more: the order is cancelled, its totals drop to zero."""
    previous = order.status
    order.status = OS.CANCELLED
    order.held_from_status, order.hold_reason = "", ""
    _refresh_totals(order, lines)
    order.save()
    events.record(
        order,
        OrderEvent.Type.CANCELLED,
        actor=actor,
        reason=reason,
        data={"from": previous, "notify_customer": notify_customer},
        notify="order.cancelled",
    )


@transaction.atomic
def cancel_lines(*, order: Order, lines: list[tuple[int, int]], actor: Actor, reason: str) -> Order:
    """Cancel units of single lines that have not shipped. `lines` are (line id, units).
    Cancelling every remaining unit cancels the order."""
    reason = require_reason(reason)
    order = selectors.lock_order(order.pk)
    if order.status not in UNSHIPPED_STATUSES | {OS.PARTIALLY_SHIPPED, OS.PARTIALLY_DELIVERED}:
        raise _refuse(order, "changed", "order_not_cancellable")
    order_lines = {line.pk: line for line in OrderLine.objects.filter(order=order)}
    wanted: dict[int, int] = defaultdict(int)
    for line_id, units in lines:
        wanted[line_id] += units
    waiting = _units_waiting_in_warehouses(order)
    errors = []
    for line_id, units in wanted.items():
        line = order_lines.get(line_id)
        if line is None:
            errors.append(
                {
                    "field": "lines",
                    "code": "unknown_line",
                    "message": f"Line {line_id} is not on order {order.number}.",
                }
            )
        elif units <= 0 or units > min(line.quantity_unshipped, waiting.get(line_id, 0)):
            errors.append(
                {
                    "field": "lines",
                    "code": "quantity_not_cancellable",
                    "message": f"Line {line.line_number} ({line.sku}): at most "
                    f"{min(line.quantity_unshipped, waiting.get(line_id, 0))} "
                    "units can be cancelled.",
                }
            )
    if errors or not wanted:
        raise ValidationFailed(
            "These lines cannot be cancelled as asked.",
            code="lines_not_cancellable",
            errors=errors
            or [{"field": "lines", "code": "required", "message": "Name at least one line."}],
        )
    for line_id, units in wanted.items():
        release_line_units(order, order_lines[line_id], units, actor, reason)
        order_lines[line_id].quantity_cancelled += units
    OrderLine.objects.bulk_update(order_lines.values(), ["quantity_cancelled"])
    if all(line.quantity_active == 0 for line in order_lines.values()):
        _mark_cancelled(order, list(order_lines.values()), actor=actor, reason=reason)
    else:
        _refresh_totals(order, list(order_lines.values()))
        order.save()
        events.record(
            order,
            OrderEvent.Type.LINES_CANCELLED,
            actor=actor,
            reason=reason,
            data={"lines": [{"sku": order_lines[i].sku, "quantity": q} for i, q in wanted.items()]},
            notify="order.updated",
        )
        fulfilment.sync_order_status(order=order, actor=actor, lines=list(order_lines.values()))
    payments.settle_payments_on_commit(order_id=order.pk, actor=actor, reason=reason)
    return order


def _units_waiting_in_warehouses(order: Order) -> dict[int, int]:
    waiting: dict[int, int] = defaultdict(int)
    for line_id, quantity in ShipmentLine.objects.filter(
        shipment__order=order, shipment__status__in=IN_WAREHOUSE
    ).values_list("line_id", "quantity"):
        waiting[line_id] += quantity
    if order.status == OS.PENDING_PAYMENT:  # no shipments yet: the allocations are what waits
        for line_id, quantity in Allocation.objects.filter(order=order).values_list(
            "line_id", "quantity"
        ):
            waiting[line_id] += quantity
    return waiting


def release_line_units(
    order: Order, line: OrderLine, units: int, actor: Actor, reason: str
) -> None:
    """Take units out of the line's open parcels (least preferred warehouse first) and give the
    stock back."""
    allocations = list(
        Allocation.objects.select_for_update()
        .select_related("warehouse")
        .filter(line=line, quantity__gt=0)
    )
    allocations.sort(key=lambda a: (a.warehouse.priority, a.warehouse_id), reverse=True)
    remaining = units
    released = []
    for allocation in allocations:
        if remaining == 0:
            break
        shipment_lines = list(
            ShipmentLine.objects.select_for_update().filter(
                line=line,
                shipment__warehouse_id=allocation.warehouse_id,
                shipment__status__in=IN_WAREHOUSE,
            )
        )
        waiting_here = (
            sum(sl.quantity for sl in shipment_lines)
            if order.status != OS.PENDING_PAYMENT
            else allocation.quantity
        )
        take = min(remaining, allocation.quantity, waiting_here)
        if take == 0:
            continue
        left = take
        for shipment_line in shipment_lines:
            step = min(left, shipment_line.quantity)
            shipment_line.quantity -= step
            left -= step
            if shipment_line.quantity == 0:
                shipment_line.delete()
            else:
                shipment_line.save(update_fields=["quantity"])
        allocation.quantity -= take
        allocation.save(update_fields=["quantity"])
        released.append(Allocation(stock_id=allocation.stock_id, quantity=take))
        remaining -= take
    inventory.release_allocations(
        released, actor=actor, reason=f"order {order.number}: {reason}", order=order
    )
    Shipment.objects.filter(order=order, status__in=IN_WAREHOUSE, lines__isnull=True).update(
        status=Shipment.Status.CANCELLED
    )


@transaction.atomic
def hold_order(*, order: Order, actor: Actor, reason: str) -> Order:
    """Stop fulfilment (fraud review, address check, customer request) until released."""
    reason = require_reason(reason)
    order = selectors.lock_order(order.pk)
    if order.status == OS.ON_HOLD:
        return order
    if not order.can_transition_to(OS.ON_HOLD):
        raise _refuse(order, "put on hold", "order_not_holdable")
    order.held_from_status, order.status, order.hold_reason = order.status, OS.ON_HOLD, reason
    order.save(update_fields=["status", "held_from_status", "hold_reason", "updated_at"])
    events.record(order, OrderEvent.Type.HELD, actor=actor, reason=reason, notify="order.held")
    return order


@transaction.atomic
def release_order(*, order: Order, actor: Actor, reason: str = "") -> Order:
    """Lift a hold: the order returns to where it was."""
    order = selectors.lock_order(order.pk)
    if order.status != OS.ON_HOLD:
        raise _refuse(order, "released", "order_not_on_hold")
    order.status = order.held_from_status or OS.CONFIRMED
    order.held_from_status, order.hold_reason = "", ""
    order.save(update_fields=["status", "held_from_status", "hold_reason", "updated_at"])
    events.record(
        order, OrderEvent.Type.RELEASED, actor=actor, reason=reason, notify="order.released"
    )
    return order


def cancel_abandoned_orders(
    *, older_than: timedelta, payment_link_older_than: timedelta | None = None
) -> int:
    """Cancel orders stuck in pending payment (the placing process died between allocating
    stock and confirming), so their stock is not held forever. Returns how many.

    An order waiting for the customer to pay through a payment link (assisted orders) is not
    stuck: it waits until its newest link expires (`payment_link_older_than`, by default
    OMS_PAYMENT_LINK_VALID_FOR)."""
    now = timezone.now()
    link_valid_for = payment_link_older_than or settings.OMS_PAYMENT_LINK_VALID_FOR
    links = OrderEvent.objects.filter(order=OuterRef("pk"), type=OrderEvent.Type.PAYMENT_LINK_SENT)
    stale = Order.objects.filter(status=OS.PENDING_PAYMENT, created_at__lt=now - older_than)
    sweeps = [
        (stale.filter(~Exists(links)), "payment never completed"),
        (
            stale.filter(Exists(links)).exclude(
                Exists(links.filter(created_at__gte=now - link_valid_for))
            ),
            "payment link expired",
        ),
    ]
    cancelled = 0
    for orders, reason in sweeps:
        for order in orders.only("pk"):
            cancel_order(order=order, actor=Actor.system("sweeper"), reason=reason)
            cancelled += 1
    return cancelled
