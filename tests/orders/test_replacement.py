"""Reshipping: a linked replacement order at no charge, placed the normal way, only for units that
shipped (and not twice); a refusal creates nothing."""

from decimal import Decimal

import pytest

from notifications.models import OutboxMessage
from oms.exceptions import InsufficientStock, InvalidTransition, ValidationFailed
from orders import services
from orders.models import Order, OrderEvent, Payment, Shipment, Stock
from orders.services import replacement
from tests.factories import StockFactory, VariantFactory, WarehouseFactory
from tests.orders.builders import ACTOR, order_input, ship

pytestmark = pytest.mark.django_db


@pytest.fixture
def shipped_order(django_capture_on_commit_callbacks) -> Order:
    """3 x TEE-M at 25.00 and 1 x CAP at 10.00, shipped from EAST (which keeps 7 and 4)."""
    east = WarehouseFactory(code="EAST", priority=10)
    StockFactory(variant=VariantFactory(sku="TEE-M"), warehouse=east, on_hand=10)
    StockFactory(
        variant=VariantFactory(sku="CAP", price=Decimal("10.00")), warehouse=east, on_hand=5
    )
    with django_capture_on_commit_callbacks(execute=True):
        order = services.place_order(data=order_input([("TEE-M", 3), ("CAP", 1)]), actor=ACTOR)
        ship(order.shipments.get(), "1ZLOST")
    order.refresh_from_db()
    assert order.status == Order.Status.SHIPPED
    return order


def line(order: Order, sku: str):
    return order.lines.get(sku=sku)


def snapshot() -> dict:
    return {
        "orders": Order.objects.count(),
        "events": OrderEvent.objects.count(),
        "outbox": OutboxMessage.objects.count(),
        "stock": list(Stock.objects.order_by("pk").values_list("allocated", flat=True)),
        "shipments": Shipment.objects.count(),
    }


def test_replacement_is_a_linked_order_at_no_charge_sent_the_normal_way(
    shipped_order, django_capture_on_commit_callbacks
):
    tee = line(shipped_order, "TEE-M")
    with django_capture_on_commit_callbacks(execute=True):
        new = replacement.place_replacement_order(
            order=shipped_order,
            lines=[(tee.pk, 2)],
            reason="lost",
            note="Carrier confirmed the parcel is lost",
            actor=ACTOR,
        )

    new.refresh_from_db()
    assert (new.channel, new.original_order_id, new.customer_id) == (
        "replacement",
        shipped_order.pk,
        shipped_order.customer_id,
    )
    assert new.status == Order.Status.CONFIRMED and new.total == 0
    assert new.shipping_address == shipped_order.shipping_address
    assert list(new.lines.values_list("sku", "quantity", "unit_price")) == [
        ("TEE-M", 2, Decimal("0.000"))
    ]
    assert new.shipments.count() == 1 and not Payment.objects.filter(order=new).exists()
    assert Stock.objects.get(variant__sku="TEE-M").allocated == 2
    event = OrderEvent.objects.get(order=shipped_order, type=OrderEvent.Type.REPLACEMENT)
    assert event.data["replacement"] == new.number and event.reason == "lost"
    assert event.data["value"] == "50.00"
    assert OutboxMessage.objects.filter(event_type="order.confirmed", aggregate_id=new.number)
    assert replacement.replacements_value(shipped_order) == Decimal("50.00")


def test_replacement_tells_the_original_order_watchers_it_changed(shipped_order):
    tee = line(shipped_order, "TEE-M")
    new = replacement.place_replacement_order(
        order=shipped_order, lines=[(tee.pk, 1)], reason="damaged", note="Torn", actor=ACTOR
    )
    (message,) = OutboxMessage.objects.filter(
        event_type="order.updated", aggregate_id=shipped_order.number
    )
    event = message.payload["event"]
    assert (event["type"], event["reason"], event["replacement"]) == (
        "replacement",
        "damaged",
        new.number,
    )


def test_only_shipped_units_not_yet_replaced_can_be_replaced(shipped_order):
    tee = line(shipped_order, "TEE-M")
    replacement.place_replacement_order(
        order=shipped_order, lines=[(tee.pk, 2)], reason="damaged", note="Torn", actor=ACTOR
    )
    before = snapshot()

    with pytest.raises(ValidationFailed) as error:
        replacement.place_replacement_order(
            order=shipped_order, lines=[(tee.pk, 2)], reason="damaged", note="Torn", actor=ACTOR
        )

    assert "at most 1" in error.value.errors[0]["message"]
    assert snapshot() == before


def test_unshipped_units_cannot_be_replaced(django_capture_on_commit_callbacks):
    east = WarehouseFactory(code="EAST", priority=10)
    StockFactory(variant=VariantFactory(sku="TEE-M"), warehouse=east, on_hand=10)
    order = services.place_order(data=order_input([("TEE-M", 2)]), actor=ACTOR)
    before = snapshot()

    with pytest.raises(ValidationFailed):
        replacement.place_replacement_order(
            order=order, lines=[(order.lines.get().pk, 1)], reason="lost", note="?", actor=ACTOR
        )

    assert snapshot() == before


@pytest.mark.parametrize(
    "kwargs",
    [
        {"reason": "bored"},
        {"note": ""},
        {"lines": []},
        {"lines": [(999999, 1)]},
        {"lines": "CAP:-1"},
    ],
)
def test_bad_replacements_are_refused_and_create_nothing(shipped_order, kwargs):
    values = {"lines": [(line(shipped_order, "CAP").pk, 1)], "reason": "lost", "note": "Lost"}
    values.update(kwargs)
    if values["lines"] == "CAP:-1":
        values["lines"] = [(line(shipped_order, "CAP").pk, -1)]
    before = snapshot()

    with pytest.raises(ValidationFailed):
        replacement.place_replacement_order(order=shipped_order, actor=ACTOR, **values)

    assert snapshot() == before


def test_without_stock_nothing_is_created(shipped_order):
    Stock.objects.filter(variant__sku="CAP").update(on_hand=0)
    before = snapshot()

    with pytest.raises(InsufficientStock):
        replacement.place_replacement_order(
            order=shipped_order,
            lines=[(line(shipped_order, "CAP").pk, 1)],
            reason="lost",
            note="Lost",
            actor=ACTOR,
        )

    assert snapshot() == before


def test_a_cancelled_order_has_nothing_to_replace(django_capture_on_commit_callbacks):
    east = WarehouseFactory(code="EAST", priority=10)
    StockFactory(variant=VariantFactory(sku="TEE-M"), warehouse=east, on_hand=10)
    order = services.place_order(data=order_input([("TEE-M", 2)]), actor=ACTOR)
    with django_capture_on_commit_callbacks(execute=True):
        services.cancel_order(order=order, actor=ACTOR, reason="changed their mind")
    with pytest.raises(InvalidTransition):
        replacement.place_replacement_order(
            order=order, lines=[(order.lines.get().pk, 1)], reason="lost", note="x", actor=ACTOR
        )


def test_plan_values_the_units_at_the_original_unit_price(shipped_order):
    plan = replacement.plan_replacement(
        order=shipped_order,
        lines=[(line(shipped_order, "TEE-M").pk, 1), (line(shipped_order, "CAP").pk, 1)],
        reason="damaged",
        note="Both crushed",
    )
    assert plan.value == Decimal("35.00")
    assert [(item.sku, units) for item, units in plan.lines] == [("TEE-M", 1), ("CAP", 1)]
