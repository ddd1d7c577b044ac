"""Price adjustments, shipping waivers and goodwill on an order: totals come from orders.pricing,
money follows (a refund when captured, less to capture when not), bad input changes nothing."""

from decimal import Decimal

import pytest
from django.db import transaction

from notifications.models import OutboxMessage
from oms.exceptions import InvalidTransition, ValidationFailed
from orders import pricing, services
from orders.models import (
    Order,
    OrderAdjustment,
    OrderEvent,
    OrderLine,
    Payment,
    PaymentTransaction,
)
from orders.services import adjustments, payments
from tests.factories import StockFactory, VariantFactory, WarehouseFactory
from tests.orders.builders import ACTOR, order_input, ship

pytestmark = pytest.mark.django_db
Kind = PaymentTransaction.Kind
D = Decimal


@pytest.fixture
def catalog():
    """TEE-M at 25.00 and CAP at 10.00, 20 units each in one warehouse."""
    east = WarehouseFactory(code="EAST", priority=10)
    for sku, price in (("TEE-M", "25.00"), ("CAP", "10.00")):
        StockFactory(variant=VariantFactory(sku=sku, price=D(price)), warehouse=east, on_hand=20)


def place(*lines) -> Order:
    """An order of `lines` (sku, units) with 5.00 shipping, paid by card (authorized)."""
    order = services.place_order(data=order_input(list(lines)), actor=ACTOR)
    assert order.status == Order.Status.CONFIRMED
    return order


def ship_all(order: Order, capture) -> None:
    with capture(execute=True):
        for index, shipment in enumerate(order.shipments.order_by("pk")):
            ship(shipment, f"1ZADJ{order.pk}{index}")


def adjust(capture, order, **kwargs) -> OrderAdjustment:
    values = {"reason_code": "price_match", "note": "Matched a competitor", "actor": ACTOR}
    values.update(kwargs)
    with capture(execute=True):
        return adjustments.apply_price_adjustment(order=order, **values)


def snapshot(order: Order) -> dict:
    order.refresh_from_db()
    return {
        "order": (order.total, order.discount_total, order.order_discount, order.status),
        "lines": list(OrderLine.objects.order_by("pk").values_list("discount", flat=True)),
        "adjustments": OrderAdjustment.objects.count(),
        "events": OrderEvent.objects.count(),
        "outbox": OutboxMessage.objects.count(),
        "transactions": PaymentTransaction.objects.count(),
    }


def assert_totals_recompute(order: Order) -> None:
    order.refresh_from_db()
    totals = pricing.order_totals(order, list(order.lines.all()))
    assert (order.subtotal, order.discount_total, order.shipping_total, order.total) == (
        totals.subtotal,
        totals.discount_total,
        totals.shipping_total,
        totals.total,
    )


def test_line_adjustment_before_capture_lowers_what_is_captured_at_shipment(
    catalog, django_capture_on_commit_callbacks
):
    order = place(("TEE-M", 2), ("CAP", 1))  # 50 + 10 + 5 shipping
    tee = order.lines.get(sku="TEE-M")

    adjustment = adjust(django_capture_on_commit_callbacks, order, line=tee, amount="7.50")

    order.refresh_from_db()
    tee.refresh_from_db()
    assert (order.total, tee.discount, adjustment.amount, adjustment.line_id) == (
        D("57.50"),
        D("7.50"),
        D("7.50"),
        tee.pk,
    )
    assert_totals_recompute(order)
    assert not PaymentTransaction.objects.filter(kind=Kind.REFUND).exists()
    ship_all(order, django_capture_on_commit_callbacks)
    payment = Payment.objects.get(order=order)
    assert (payment.amount_authorized, payment.amount_captured) == (D("65.00"), D("57.50"))


def test_order_adjustment_after_capture_refunds_the_difference(
    catalog, django_capture_on_commit_callbacks
):
    order = place(("TEE-M", 2))  # 55.00
    ship_all(order, django_capture_on_commit_callbacks)

    adjust(django_capture_on_commit_callbacks, order, amount="12.00", reason_code="late_delivery")

    order.refresh_from_db()
    assert (order.total, order.order_discount) == (D("43.00"), D("12.00"))
    assert_totals_recompute(order)
    refund = PaymentTransaction.objects.get(kind=Kind.REFUND)
    assert (refund.amount, refund.status) == (D("12.00"), PaymentTransaction.Status.SUCCEEDED)
    payment = Payment.objects.get(order=order)
    assert (payment.amount_captured, payment.amount_refunded) == (D("55.00"), D("12.00"))


def test_adjustment_is_on_the_timeline_and_emits_order_adjusted(
    catalog, django_capture_on_commit_callbacks
):
    order = place(("TEE-M", 2))
    tee = order.lines.get()
    staff = ACTOR

    adjust(django_capture_on_commit_callbacks, order, line=tee.pk, amount="5", approved_by="boss")

    event = OrderEvent.objects.get(order=order, type=OrderEvent.Type.ADJUSTED)
    assert event.actor_label == staff.label and event.reason == "price_match"
    assert event.data["amount"] == "5.00" and event.data["line"] == 1
    assert event.data["approved_by"] == "boss"
    message = OutboxMessage.objects.get(event_type="order.adjusted")
    assert message.payload["order"]["total"] == "50.00"
    assert message.payload["event"]["kind"] == "price_adjustment"
    assert OrderAdjustment.objects.get().approved_by_label == "boss"


@pytest.mark.parametrize(
    ("target", "percentage", "expected"),
    [("line", "10", D("5.00")), ("order", "10", D("6.00")), ("line", "33.33", D("16.67"))],
)
def test_percentage_converts_to_an_amount_of_the_current_value(
    catalog, django_capture_on_commit_callbacks, target, percentage, expected
):
    order = place(("TEE-M", 2), ("CAP", 1))  # line 50.00; goods 60.00; shipping 5.00
    line = order.lines.get(sku="TEE-M") if target == "line" else None

    adjustment = adjust(django_capture_on_commit_callbacks, order, line=line, percentage=percentage)

    assert (adjustment.amount, adjustment.percentage) == (expected, D(percentage))
    order.refresh_from_db()
    assert order.total == D("65.00") - expected


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"amount": "0"}, "amount"),
        ({"amount": "-3"}, "amount"),
        ({"amount": "1.001"}, "amount"),
        ({"amount": "abc"}, "amount"),
        ({}, "amount"),
        ({"percentage": "0"}, "percentage"),
        ({"percentage": "101"}, "percentage"),
        ({"amount": "5", "reason_code": "whim"}, "reason_code"),
        ({"amount": "5", "note": "  "}, "note"),
        ({"amount": "5", "line": 999999}, "line"),
        ({"amount": "50.01", "line": "TEE"}, "amount"),  # more than the line is worth
        ({"amount": "55.01"}, "amount"),  # would take the total below zero
        ({"percentage": "100.5", "line": "TEE"}, "percentage"),
    ],
)
def test_bad_adjustments_are_refused_with_field_errors_and_change_nothing(
    catalog, django_capture_on_commit_callbacks, kwargs, field
):
    order = place(("TEE-M", 2))
    if kwargs.get("line") == "TEE":
        kwargs["line"] = order.lines.get()
    before = snapshot(order)

    with pytest.raises(ValidationFailed) as error:
        adjust(django_capture_on_commit_callbacks, order, **kwargs)

    assert field in {item["field"] for item in error.value.errors}
    assert snapshot(order) == before


def test_whole_order_can_be_adjusted_down_to_zero_but_not_below(
    catalog, django_capture_on_commit_callbacks
):
    order = place(("TEE-M", 2))
    adjust(django_capture_on_commit_callbacks, order, amount="55.00")
    order.refresh_from_db()
    assert order.total == 0
    before = snapshot(order)
    with pytest.raises(ValidationFailed):
        adjust(django_capture_on_commit_callbacks, order, amount="0.01")
    assert snapshot(order) == before


def test_adjusting_a_cancelled_order_is_refused(catalog, django_capture_on_commit_callbacks):
    order = place(("TEE-M", 2))
    with django_capture_on_commit_callbacks(execute=True):
        services.cancel_order(order=order, actor=ACTOR, reason="customer asked")
    before = snapshot(order)

    with pytest.raises(InvalidTransition):
        adjust(django_capture_on_commit_callbacks, order, amount="1")

    assert snapshot(order) == before


@pytest.mark.parametrize(
    ("quantity", "cancel", "amount"),
    [(4, 2, "10.00"), (3, 1, "0.01"), (3, 1, "13.33"), (7, 4, "74.99"), (6, 5, "25.00")],
)
def test_a_line_with_cancelled_units_loses_exactly_the_amount(
    catalog, django_capture_on_commit_callbacks, quantity, cancel, amount
):
    order = place(("TEE-M", quantity))
    line = order.lines.get()
    with django_capture_on_commit_callbacks(execute=True):
        services.cancel_lines(order=order, lines=[(line.pk, cancel)], actor=ACTOR, reason="less")
    order.refresh_from_db()
    before = order.total

    adjust(django_capture_on_commit_callbacks, order, line=line, amount=amount)

    order.refresh_from_db()
    assert before - order.total == D(amount)
    assert_totals_recompute(order)


def test_preview_matches_what_is_applied(catalog, django_capture_on_commit_callbacks):
    order = place(("TEE-M", 2), ("CAP", 1))
    with django_capture_on_commit_callbacks(execute=True):
        ship(order.shipments.get(), "1ZPREVIEW")  # everything captured: 65.00
    order.refresh_from_db()

    plan = adjustments.plan_price_adjustment(
        order=order, percentage="20", reason_code="damaged", note="Scratched"
    )
    adjust(django_capture_on_commit_callbacks, order, percentage="20", reason_code="damaged")

    order.refresh_from_db()
    assert plan.after.total == order.total == D("53.00")
    assert plan.refund_now == D("12.00") and plan.less_to_charge == 0
    assert PaymentTransaction.objects.get(kind=Kind.REFUND).amount == plan.refund_now


def test_preview_before_capture_shows_less_to_charge(catalog):
    order = place(("TEE-M", 2))
    plan = adjustments.plan_price_adjustment(
        order=order, amount="5", reason_code="loyalty", note="Ten years with us"
    )
    assert (plan.refund_now, plan.less_to_charge, plan.after.total) == (0, D("5.00"), D("50.00"))


def test_shipping_waiver_is_limited_to_the_shipping(catalog, django_capture_on_commit_callbacks):
    order = place(("TEE-M", 2))
    with django_capture_on_commit_callbacks(execute=True):
        waiver = adjustments.waive_shipping(
            order=order, reason_code="late_delivery", note="Promised next day", actor=ACTOR
        )
    order.refresh_from_db()
    assert (waiver.kind, waiver.amount, order.total) == ("shipping_refund", D("5.00"), D("50.00"))
    before = snapshot(order)
    with pytest.raises(ValidationFailed):
        adjustments.waive_shipping(
            order=order, amount="1", reason_code="late_delivery", note="again", actor=ACTOR
        )
    assert snapshot(order) == before


def test_goodwill_is_recorded_without_changing_the_totals(catalog):
    order = place(("TEE-M", 2))
    before = snapshot(order)

    adjustment = adjustments.record_goodwill(
        order=order, amount="15", reason_code="late_delivery", note="Four days late", actor=ACTOR
    )

    after = snapshot(order)
    assert after["order"] == before["order"] and after["transactions"] == before["transactions"]
    assert (adjustment.kind, adjustment.amount) == ("goodwill_credit", D("15.00"))
    event = OrderEvent.objects.get(order=order, type=OrderEvent.Type.GOODWILL)
    assert event.data["amount"] == "15.00"


def test_goodwill_above_the_order_value_or_without_a_note_is_refused(catalog):
    order = place(("TEE-M", 2))  # worth 55.00 as ordered
    before = snapshot(order)
    for kwargs in ({"amount": "55.01", "note": "x"}, {"amount": "5", "note": ""}):
        with pytest.raises(ValidationFailed):
            adjustments.record_goodwill(
                order=order, reason_code="late_delivery", actor=ACTOR, **kwargs
            )
    assert snapshot(order) == before


def refund_for_a_return(capture, order: Order, amount: str) -> None:
    """What returns.services.refunds does for returned units: raise refunded_for_returns under
    the order's lock, then settle the payments after commit."""
    with capture(execute=True), transaction.atomic():
        locked = Order.objects.select_for_update().get(pk=order.pk)
        locked.refunded_for_returns += D(amount)
        locked.save(update_fields=["refunded_for_returns", "updated_at"])
        payments.settle_payments_on_commit(order_id=order.pk, actor=ACTOR, reason="return")
    order.refresh_from_db()


def test_after_a_return_refund_an_adjustment_is_capped_at_what_the_order_still_owes(
    catalog, django_capture_on_commit_callbacks
):
    order = place(("TEE-M", 2), ("CAP", 1))  # 65.00, captured at shipment
    ship_all(order, django_capture_on_commit_callbacks)
    refund_for_a_return(django_capture_on_commit_callbacks, order, "40.00")  # both tees
    before = snapshot(order)

    for kwargs in ({"amount": "25.01"}, {"line": order.lines.get(sku="TEE-M"), "amount": "30"}):
        with pytest.raises(ValidationFailed) as error:
            adjustments.plan_price_adjustment(
                order=order, reason_code="price_match", note="x", **kwargs
            )
        assert error.value.code == "adjustment_too_large"
        assert error.value.extra["limit"] == "25.00"
        assert "25.00 USD" in error.value.message
    with pytest.raises(ValidationFailed):
        adjust(django_capture_on_commit_callbacks, order, amount="65.00")
    assert snapshot(order) == before

    plan = adjustments.plan_price_adjustment(
        order=order, amount="25.00", reason_code="price_match", note="x"
    )
    assert plan.refund_now == D("25.00")
    adjust(django_capture_on_commit_callbacks, order, amount="25.00")

    payment = Payment.objects.get(order=order)
    assert (payment.amount_captured, payment.amount_refunded) == (D("65.00"), D("65.00"))
    event = OrderEvent.objects.filter(order=order, type=OrderEvent.Type.ADJUSTED).get()
    assert event.data["refund_now"] == "25.00"


def test_after_a_return_refund_a_shipping_waiver_is_capped_too(
    catalog, django_capture_on_commit_callbacks
):
    order = place(("TEE-M", 2))  # 55.00 with 5.00 shipping
    ship_all(order, django_capture_on_commit_callbacks)
    refund_for_a_return(django_capture_on_commit_callbacks, order, "52.00")
    before = snapshot(order)

    with pytest.raises(ValidationFailed) as error:
        adjustments.waive_shipping(
            order=order, reason_code="late_delivery", note="Promised next day", actor=ACTOR
        )

    assert error.value.extra["limit"] == "3.00"
    assert snapshot(order) == before
