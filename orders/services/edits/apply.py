"""Applying an order edit: money first (an authorization increase, outside any transaction),
then one transaction under the order and stock locks that replays the plan the rep previewed."""

from collections import defaultdict
from collections.abc import Callable
from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _

from oms.actors import Actor
from oms.exceptions import Conflict, GatewayUnavailable, PaymentFailed
from orders import allocation, money, selectors
from orders.models import (
    Allocation,
    Order,
    OrderEvent,
    OrderLine,
    Shipment,
    ShipmentLine,
    StockMovement,
)
from orders.services import events, fulfilment, inventory, lifecycle, payments
from orders.services.customers import remember_address
from orders.services.edits.inputs import OrderEdit, load_variants
from orders.services.edits.plan import Plan, build_plan
from orders.services.edits.preview import (
    describe,
    insufficient_stock,
    preview_order_edit,
    refuse_if_not_modifiable,
)

SS = Shipment.Status


def _changed(order: Order) -> Conflict:
    return Conflict(
        _("Order %(number)s changed since the preview; preview the changes again.")
        % {"number": order.number},
        code="order_changed",
    )


def apply_order_edit(
    *,
    order: Order,
    edit: OrderEdit,
    actor: Actor,
    reason: str,
    expected_total: Decimal | None = None,
    on_applied: Callable[[Order], object] | None = None,
) -> Order:
    """Apply the edit as previewed. `expected_total` is the new total the rep saw: if the
    order has changed so that the edit no longer comes to it, Conflict `order_changed` and
    nothing is done. A higher total first raises the card authorization at the gateway (a
    decline raises PaymentFailed and changes nothing).

    `on_applied(order)` runs inside the edit's transaction, after the edit: what the caller
    writes there (the console links the edit to the rep's support case) exists exactly when
    the edit does. The caller must not open a transaction around this call: the gateway is
    never called inside one."""
    reason = lifecycle.require_reason(reason)
    preview = preview_order_edit(order=order, edit=edit)
    if expected_total is not None and (
        money.quantize(Decimal(expected_total), order.currency) != preview.new.total
    ):
        raise _changed(order)
    if preview.authorization_increase > 0:
        outcome = payments.increase_authorization(
            order=order,
            total=preview.new.total,
            actor=actor,
            reason=f"order modified: {reason}",
        )
        if outcome.error_code == payments.GATEWAY_ERROR:
            raise GatewayUnavailable(
                _("The payment gateway did not answer; nothing was changed. Try again."),
                extra={"order_number": order.number},
            )
        if not outcome.is_success:
            raise PaymentFailed(
                _("The card declined the additional %(amount)s %(currency)s; nothing changed.")
                % {"amount": preview.authorization_increase, "currency": order.currency},
                code="payment_declined",
                extra={"order_number": order.number, "decline_code": outcome.error_code},
            )
    order = _apply(
        order.pk,
        edit,
        actor=actor,
        reason=reason,
        previewed_total=preview.new.total,
        on_applied=on_applied,
    )
    payments.settle_payments_on_commit(order_id=order.pk, actor=actor, reason=reason)
    return order


@transaction.atomic
def _apply(
    order_id: int, edit: OrderEdit, *, actor: Actor, reason: str, previewed_total, on_applied
) -> Order:
    order = selectors.lock_order(order_id)
    lines = list(OrderLine.objects.filter(order=order))
    shipments = list(Shipment.objects.filter(order=order))
    refuse_if_not_modifiable(order, lines, shipments)
    plan = build_plan(order, lines, edit, load_variants(edit))
    if plan.new.total != previewed_total:
        raise _changed(order)  # another change landed between the preview and now
    preview = describe(plan, payments.live_payments(order))
    if preview.authorization_increase > 0:
        raise _changed(order)  # the authorization no longer covers it (a refund landed)
    # Where the order ships from, before the releases below empty any of it.
    current = {a.warehouse_id for a in Allocation.objects.filter(order=order, quantity__gt=0)} | {
        s.warehouse_id for s in shipments if s.status in (SS.PENDING, SS.PICKING)
    }
    touched = {line.variant_id for line in lines if line.pk in plan.releases}
    selectors.lock_stock_for_variants(touched | {line.variant_id for line, _u in plan.demand})
    for line_id, units in plan.releases.items():
        line = next(line for line in lines if line.pk == line_id)
        lifecycle.release_line_units(order, line, units, actor, f"order modified: {reason}")
    OrderLine.objects.bulk_update(lines, ["quantity", "quantity_cancelled"])
    OrderLine.objects.bulk_create(plan.new_lines)
    _allocate(plan, shipments, current, actor=actor, reason=reason)
    if "shipping_method" in plan.changes:
        Shipment.objects.filter(order=order, status__in=[SS.PENDING, SS.PICKING]).update(
            promised_delivery_date=order.promised_delivery_date
        )
    if "address" in plan.changes:
        remember_address(order.customer, order.shipping_address)
    order.subtotal, order.discount_total = plan.new.subtotal, plan.new.discount_total
    order.shipping_total, order.total = plan.new.shipping_total, plan.new.total
    order.save()
    events.record(
        order,
        OrderEvent.Type.MODIFIED,
        actor=actor,
        reason=reason,
        data=preview.changes,
        notify="order.updated",
    )
    fulfilment.sync_order_status(order=order, actor=actor, lines=plan.all_lines)
    if on_applied is not None:
        on_applied(order)
    return order


def _allocate(
    plan: Plan, shipments: list[Shipment], current: set[int], *, actor: Actor, reason: str
) -> None:
    """Allocate the units the edit adds: from the warehouses the order already ships from if
    they can, else by the sourcing rule with those warehouses first. Caller holds the locks."""
    if not plan.demand:
        return
    order = plan.order
    demand: dict[int, int] = defaultdict(int)
    for line, units in plan.demand:
        demand[line.variant_id] += units
    stocks = selectors.lock_stock_for_variants(demand)  # re-read: the releases changed them
    options = [
        allocation.StockOption(
            s.pk,
            s.warehouse_id,
            s.warehouse.priority - (1 << 20 if s.warehouse_id in current else 0),
            s.variant_id,
            s.on_hand - s.allocated,
        )
        for s in stocks
    ]
    picks = allocation.choose_sources(
        demand, [o for o in options if o.warehouse_id in current]
    ) or allocation.choose_sources(demand, options)
    if picks is None:
        raise insufficient_stock(sorted({line.sku for line, _units in plan.demand}))
    # Share each variant's picks among the lines that asked for it, in order.
    wanted = [[line, units] for line, units in plan.demand]
    placed: dict[tuple[int, int, int], int] = defaultdict(int)  # (line, warehouse, stock)
    for pick in picks:
        left = pick.quantity
        for need in wanted:
            if left == 0:
                break
            if need[0].variant_id != pick.variant_id or need[1] == 0:
                continue
            take = min(left, need[1])
            need[1] -= take
            left -= take
            placed[(need[0].pk, pick.warehouse_id, pick.stock_id)] += take
    existing = {
        (a.line_id, a.warehouse_id): a
        for a in Allocation.objects.select_for_update().filter(order=order)
    }
    for (line_id, warehouse_id, stock_id), units in placed.items():
        row = existing.get((line_id, warehouse_id))
        if row is None:
            Allocation.objects.create(
                order=order,
                line_id=line_id,
                warehouse_id=warehouse_id,
                stock_id=stock_id,
                quantity=units,
            )
        else:
            row.quantity += units
            row.save(update_fields=["quantity"])
    stock_changes: dict[int, int] = defaultdict(int)
    for (_line, _warehouse, stock_id), units in placed.items():
        stock_changes[stock_id] += units
    inventory.move_allocated(
        stock_changes,
        kind=StockMovement.Kind.ALLOCATION,
        actor=actor,
        reason=f"order {order.number} modified: {reason}",
        order=order,
    )
    if order.status != Order.Status.PENDING_PAYMENT:
        _add_to_shipments(order, shipments, placed, actor=actor)


def _add_to_shipments(order: Order, shipments: list[Shipment], placed, *, actor: Actor) -> None:
    """Put the new units in a parcel waiting at their warehouse: one that was waiting before
    the edit (even if the edit just emptied it, as a swap does), else a new pending one."""
    waiting = {}
    for shipment in sorted(shipments, key=lambda s: s.pk):
        if shipment.status == SS.PENDING:
            waiting.setdefault(shipment.warehouse_id, shipment)
    created = []
    revived = set()
    for (line_id, warehouse_id, _stock), units in placed.items():
        shipment = waiting.get(warehouse_id)
        if shipment is None:
            shipment = Shipment.objects.create(
                order=order,
                warehouse_id=warehouse_id,
                number=fulfilment.next_shipment_number(order),
                promised_delivery_date=order.promised_delivery_date,
            )
            waiting[warehouse_id] = shipment
            created.append(shipment)
        else:
            revived.add(shipment.pk)
        row = ShipmentLine.objects.filter(shipment=shipment, line_id=line_id).first()
        if row is None:
            ShipmentLine.objects.create(shipment=shipment, line_id=line_id, quantity=units)
        else:
            row.quantity += units
            row.save(update_fields=["quantity"])
    # A parcel the edit's releases emptied (and so cancelled) that now has lines again waits.
    Shipment.objects.filter(pk__in=revived, status=SS.CANCELLED).update(status=SS.PENDING)
    if created:
        events.record(
            order,
            OrderEvent.Type.SHIPMENT_CREATED,
            actor=actor,
            data={"shipments": [s.number for s in created]},
            notify="shipment.created",
        )
