"""Stock: audited adjustments, and the allocation moves that orders and shipments make.

Every change locks the stock rows (in id order) and writes a StockMovement with its reason.
"""

from collections import defaultdict
from collections.abc import Iterable

from django.db import transaction

from notifications import services as outbox
from oms.actors import Actor
from oms.exceptions import Conflict, NotFound, ValidationFailed
from orders import selectors
from orders.models import Stock, StockMovement, Variant, Warehouse


def _movement(
    stock: Stock, kind: str, *, actor: Actor, reason: str, order=None, on_hand=0, allocated=0
):
    return StockMovement(
        stock=stock,
        kind=kind,
        on_hand_delta=on_hand,
        allocated_delta=allocated,
        on_hand_after=stock.on_hand,
        allocated_after=stock.allocated,
        reason=reason[:255],
        order=order,
        **actor.as_fields(),
    )


@transaction.atomic
def adjust_stock(*, sku: str, warehouse_code: str, delta: int, reason: str, actor: Actor) -> Stock:
    """Add (receipt, found) or remove (damage, count correction) units on hand. Never below what
    is allocated to open orders: those units are promised."""
    if not reason.strip():
        raise ValidationFailed("Say why the stock changes.", code="reason_required")
    if delta == 0:
        raise ValidationFailed("The adjustment must change the stock.", code="zero_delta")
    variant = Variant.objects.filter(sku=sku).first()
    warehouse = Warehouse.objects.filter(code=warehouse_code).first()
    if variant is None:
        raise NotFound(f"SKU {sku} does not exist.", code="sku_not_found")
    if warehouse is None:
        raise NotFound(f"Warehouse {warehouse_code} does not exist.", code="warehouse_not_found")
    Stock.objects.get_or_create(variant=variant, warehouse=warehouse)
    (stock,) = selectors.lock_stock(
        Stock.objects.filter(variant=variant, warehouse=warehouse).values_list("pk", flat=True)
    )
    if stock.on_hand + delta < stock.allocated:
        raise Conflict(
            f"{sku} at {warehouse_code} has {stock.on_hand} on hand and {stock.allocated} "
            f"allocated; removing {-delta} would take promised units.",
            code="stock_below_allocated",
        )
    stock.on_hand += delta
    stock.save(update_fields=["on_hand", "updated_at"])
    _movement(
        stock, StockMovement.Kind.ADJUSTMENT, actor=actor, reason=reason, on_hand=delta
    ).save()
    outbox.emit(
        "stock.adjusted",
        aggregate_type="stock",
        aggregate_id=f"{warehouse_code}:{sku}",
        payload={
            "sku": sku,
            "warehouse": warehouse_code,
            "delta": delta,
            "on_hand": stock.on_hand,
            "allocated": stock.allocated,
            "reason": reason,
        },
    )
    return stock


def move_allocated(changes: dict[int, int], *, kind: str, actor: Actor, reason: str, order) -> None:
    """Apply {stock_id: allocated delta} under lock; a shipment also takes the units off hand.

    Callers hold the order lock; stock rows are locked here in id order.
    """
    if not changes:
        return
    stocks = selectors.lock_stock(changes)
    movements = []
    for stock in stocks:
        delta = changes[stock.pk]
        stock.allocated += delta
        on_hand_delta = delta if kind == StockMovement.Kind.SHIPMENT else 0
        stock.on_hand += on_hand_delta
        movements.append(
            _movement(
                stock,
                kind,
                actor=actor,
                reason=reason,
                order=order,
                on_hand=on_hand_delta,
                allocated=delta,
            )
        )
    Stock.objects.bulk_update(stocks, ["allocated", "on_hand"])
    StockMovement.objects.bulk_create(movements)


def release_allocations(allocations: Iterable, *, actor: Actor, reason: str, order) -> None:
    """Give the allocations' units back to available stock (cancellation)."""
    changes: dict[int, int] = defaultdict(int)
    for allocation in allocations:
        changes[allocation.stock_id] -= allocation.quantity
    move_allocated(
        {k: v for k, v in changes.items() if v},
        kind=StockMovement.Kind.RELEASE,
        actor=actor,
        reason=reason,
        order=order,
    )
