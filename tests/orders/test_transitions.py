"""Every illegal transition is refused with no side effect; legal ones follow the table."""

from datetime import timedelta

import pytest
from django.utils import timezone

from notifications.models import OutboxMessage
from oms.exceptions import DomainError
from orders import services
from orders.models import (
    Allocation,
    Order,
    OrderEvent,
    OrderLine,
    PaymentTransaction,
    Shipment,
    ShipmentLine,
    Stock,
    StockMovement,
)
from orders.models.orders import TRANSITIONS
from tests.orders.builders import ACTOR, order_in_status, order_input, split_catalog

S = Order.Status
pytestmark = pytest.mark.django_db


def snapshot(order: Order) -> dict:
    """Everything an action could change."""
    order.refresh_from_db()
    return {
        "order": (order.status, order.total, order.hold_reason, order.held_from_status),
        "lines": list(OrderLine.objects.values_list("quantity_cancelled", "quantity_shipped")),
        "events": OrderEvent.objects.count(),
        "outbox": OutboxMessage.objects.count(),
        "movements": StockMovement.objects.count(),
        "stock": list(Stock.objects.order_by("pk").values_list("on_hand", "allocated")),
        "allocations": list(Allocation.objects.order_by("pk").values_list("quantity")),
        "shipments": list(Shipment.objects.order_by("pk").values_list("status", "tracking_number")),
        "shipment_lines": list(ShipmentLine.objects.order_by("pk").values_list("quantity")),
        "payments": PaymentTransaction.objects.count(),
    }


def first_unshipped(order: Order) -> Shipment | None:
    return order.shipments.filter(status__in=["pending", "picking", "packed"]).first()


def do_cancel(order):
    services.cancel_order(order=order, actor=ACTOR, reason="test")


def do_hold(order):
    services.hold_order(order=order, actor=ACTOR, reason="test")


def do_release(order):
    services.release_order(order=order, actor=ACTOR, reason="test")


def do_ship(order):
    shipment = first_unshipped(order) or order.shipments.first()
    if shipment is None:
        raise LookupError("no shipment")  # pending payment: nothing to ship yet
    services.ship_shipment(shipment=shipment, carrier="ups", tracking_number="X1", actor=ACTOR)


def do_pick(order):
    shipment = first_unshipped(order) or order.shipments.first()
    if shipment is None:
        raise LookupError("no shipment")
    services.advance_shipment(shipment=shipment, status="picking", actor=ACTOR)


def do_cancel_line(order):
    line = order.lines.first()
    services.cancel_lines(order=order, lines=[(line.pk, 1)], actor=ACTOR, reason="test")


# (action, statuses in which it is refused). Cancelling a cancelled order and holding a held
# one are idempotent no-ops, tested separately.
REFUSED = {
    do_cancel: [S.PARTIALLY_SHIPPED, S.SHIPPED, S.PARTIALLY_DELIVERED, S.DELIVERED],
    do_hold: [
        S.PENDING_PAYMENT,
        S.PARTIALLY_SHIPPED,
        S.SHIPPED,
        S.PARTIALLY_DELIVERED,
        S.DELIVERED,
        S.CANCELLED,
    ],
    do_release: [s for s in S.values if s != S.ON_HOLD],
    do_ship: [S.ON_HOLD, S.CANCELLED, S.SHIPPED, S.PARTIALLY_DELIVERED, S.DELIVERED],
    do_pick: [S.ON_HOLD, S.CANCELLED, S.SHIPPED, S.PARTIALLY_DELIVERED, S.DELIVERED],
    do_cancel_line: [S.SHIPPED, S.DELIVERED, S.CANCELLED, S.PARTIALLY_DELIVERED],
}
CASES = [(action, status) for action, statuses in REFUSED.items() for status in statuses]


@pytest.mark.parametrize(("action", "status"), CASES, ids=[f"{a.__name__}-{s}" for a, s in CASES])
def test_illegal_action_is_refused_without_side_effects(
    action, status, django_capture_on_commit_callbacks
):
    sku = split_catalog()
    with django_capture_on_commit_callbacks(execute=True):
        order = order_in_status(status, sku)
    before = snapshot(order)
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises((DomainError, LookupError)),
    ):
        action(order)
    assert callbacks == []  # no payment settlement scheduled
    assert snapshot(order) == before


@pytest.mark.parametrize("status", [S.CONFIRMED, S.PROCESSING, S.ON_HOLD, S.PENDING_PAYMENT])
def test_cancel_before_shipment_releases_stock_and_stops_shipments(
    status, django_capture_on_commit_callbacks
):
    sku = split_catalog()
    with django_capture_on_commit_callbacks(execute=True):
        order = order_in_status(status, sku)
        do_cancel(order)
    order.refresh_from_db()
    assert order.status == S.CANCELLED
    assert order.total == 0
    assert list(Stock.objects.values_list("allocated", flat=True)) == [0, 0]
    assert not order.shipments.exclude(status="cancelled").exists()
    assert order.events.filter(type="cancelled").count() == 1


def test_cancelling_twice_changes_nothing_the_second_time(django_capture_on_commit_callbacks):
    sku = split_catalog()
    with django_capture_on_commit_callbacks(execute=True):
        order = order_in_status(S.CONFIRMED, sku)
        do_cancel(order)
    before = snapshot(order)
    with django_capture_on_commit_callbacks(execute=True):
        do_cancel(order)
    assert snapshot(order) == before


def test_hold_and_release_return_the_order_to_where_it_was(django_capture_on_commit_callbacks):
    sku = split_catalog()
    with django_capture_on_commit_callbacks(execute=True):
        order = order_in_status(S.PROCESSING, sku)
    do_hold(order)
    order.refresh_from_db()
    assert (order.status, order.hold_reason) == (S.ON_HOLD, "test")
    do_release(order)
    order.refresh_from_db()
    assert (order.status, order.hold_reason) == (S.PROCESSING, "")
    assert list(order.events.values_list("type", flat=True))[-2:] == ["held", "released"]


def test_transition_table_has_no_way_out_of_final_statuses():
    assert TRANSITIONS[S.CANCELLED] == frozenset()
    assert TRANSITIONS[S.DELIVERED] == frozenset()
    assert set(TRANSITIONS) == set(S.values)


def test_abandoned_pending_payment_orders_are_cancelled_and_release_stock(
    django_capture_on_commit_callbacks,
):
    sku = split_catalog()
    stale = order_in_status(S.PENDING_PAYMENT, sku)
    Order.objects.filter(pk=stale.pk).update(created_at=timezone.now() - timedelta(hours=1))
    with django_capture_on_commit_callbacks(execute=True):
        fresh = services.place_order(data=order_input([(sku, 1)]), actor=ACTOR)
        assert services.cancel_abandoned_orders(older_than=timedelta(minutes=15)) == 1
    stale.refresh_from_db()
    fresh.refresh_from_db()
    assert (stale.status, fresh.status) == (S.CANCELLED, S.CONFIRMED)
    assert sum(Stock.objects.values_list("allocated", flat=True)) == 1
