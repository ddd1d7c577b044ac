"""Exchanges: a linked order in channel `exchange`, allocated from live stock, priced so the
customer pays only a positive difference (payment link) and gets a negative one refunded on
the original order; one per return. Instant exchanges ship at approval, secured by a hold that
is voided when the parcel arrives and captured when it never does."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.conf import settings
from django.utils import timezone

from notifications.models import OutboxMessage
from oms.exceptions import InsufficientStock, InvalidTransition
from orders import links, services
from orders.models import (
    Allocation,
    Order,
    OrderEvent,
    Payment,
    SandboxCharge,
    SavedPaymentMethod,
    Stock,
)
from orders.services import payments
from returns.models import ReturnEvent, ReturnRefund, ReturnRequest
from returns.services import exchanges, receiving, refunds, transitions
from tests.factories import StockFactory, VariantFactory
from tests.returns.lifecycle_builders import (
    ACTOR,
    delivered_order,
    request,
    store_policy,
    wanted,
)

D = Decimal
S = ReturnRequest.Status


def tee_order(*, other_price="20.00", other_stock=10):
    """A delivered order of 2 x TEE-M at 20.00 (+ a CAP; 65.00 captured) and TEE-L in stock."""
    store_policy()
    order = delivered_order()
    tee = order.lines.get(sku="TEE-M").variant
    other = VariantFactory(sku="TEE-L", product=tee.product, price=D(other_price))
    StockFactory(
        variant=other, warehouse=Stock.objects.get(variant=tee).warehouse, on_hand=other_stock
    )
    return order, other


def exchange_return(order, variant, **kwargs):
    return request(
        order,
        wanted(order, "TEE-M", 2, exchange_variant_id=variant.pk),
        resolution="exchange",
        **kwargs,
    )


def receive_all(r):
    return receiving.receive_return(
        return_request=r,
        lines=[(line.pk, line.quantity, "as_new") for line in r.lines.order_by("pk")],
        actor=ACTOR,
    )


def save_card(order, token="4242424242424242"):
    return SavedPaymentMethod.objects.create(
        customer=order.customer, gateway="sandbox", token=token, label="Visa", is_default=True
    )


def tracked_order(url: str) -> str | None:
    """The order a signed tracking link opens (the signature carries a timestamp)."""
    assert url.startswith(settings.OMS_PUBLIC_URL.rstrip("/") + "/track/")
    return links.order_number_from_token(url.rstrip("/").rsplit("/", 1)[1])


def refunded(order) -> Decimal:
    return sum((p.amount_refunded for p in Payment.objects.filter(order=order)), D(0))


@pytest.mark.django_db
def test_receipt_places_a_linked_exchange_order_from_live_stock(
    django_capture_on_commit_callbacks,
):
    order, other = tee_order()
    r = exchange_return(order, other)
    assert r.estimated_total == D("40.00")

    with django_capture_on_commit_callbacks(execute=True):
        r = receive_all(r)

    r.refresh_from_db()
    exchange = r.exchange_order
    assert r.status == S.EXCHANGED
    assert (exchange.channel, exchange.original_order_id) == (Order.Channel.EXCHANGE, order.pk)
    assert exchange.status == Order.Status.CONFIRMED
    assert list(exchange.lines.values_list("sku", "quantity")) == [("TEE-L", 2)]
    assert (exchange.subtotal, exchange.discount_total, exchange.total) == (
        D("40.00"),
        D("40.00"),
        D("0.00"),
    )
    assert Stock.objects.get(variant=other).allocated == 2
    assert Allocation.objects.filter(order=exchange).count() == 1
    assert not ReturnRefund.objects.exists() and refunded(order) == 0
    (event,) = ReturnEvent.objects.filter(type=ReturnEvent.Type.EXCHANGED)
    assert event.data["exchange_order"] == exchange.number
    assert tracked_order(event.data["exchange_tracking_url"]) == exchange.number
    assert (event.data["status"], event.data["to_pay"]) == ("exchanged", "0.00")

    assert exchanges.place_exchange_order(return_request=r, actor=ACTOR) == exchange
    refunds.release_refund(return_request=r, actor=ACTOR)
    assert Order.objects.filter(channel=Order.Channel.EXCHANGE).count() == 1
    assert ReturnEvent.objects.filter(type=ReturnEvent.Type.EXCHANGED).count() == 1
    assert OutboxMessage.objects.filter(event_type="return.exchanged").count() == 1


@pytest.mark.django_db
def test_a_partial_receipt_that_places_the_exchange_announces_it_before_the_status_moves(
    django_capture_on_commit_callbacks,
):
    order, other = tee_order()
    r = exchange_return(order, other)
    (line,) = r.lines.all()

    with django_capture_on_commit_callbacks(execute=True):
        receiving.receive_return(return_request=r, lines=[(line.pk, 1, "as_new")], actor=ACTOR)

    r.refresh_from_db()
    assert (r.status, r.exchange_order.channel) == (S.RECEIVED, Order.Channel.EXCHANGE)
    (placed,) = ReturnEvent.objects.filter(type=ReturnEvent.Type.EXCHANGED)
    assert placed.data["exchange_order"] == r.exchange_order.number
    assert OutboxMessage.objects.filter(event_type="return.exchanged").count() == 1

    with django_capture_on_commit_callbacks(execute=True):
        receiving.receive_return(return_request=r, lines=[(line.pk, 1, "as_new")], actor=ACTOR)

    r.refresh_from_db()
    assert r.status == S.EXCHANGED
    resolved = ReturnEvent.objects.filter(type=ReturnEvent.Type.EXCHANGED).latest("pk")
    assert resolved.data["exchange_order"] == r.exchange_order.number
    assert OutboxMessage.objects.filter(event_type="return.exchanged").count() == 1


@pytest.mark.django_db
def test_a_cheaper_replacement_refunds_the_difference_on_the_original_order(
    django_capture_on_commit_callbacks,
):
    order, other = tee_order(other_price="15.00")
    r = exchange_return(order, other)

    with django_capture_on_commit_callbacks(execute=True):
        r = receive_all(r)

    r.refresh_from_db()
    assert r.exchange_order.total == 0
    assert list(ReturnRefund.objects.values_list("kind", "amount")) == [
        ("exchange_difference", D("10.00"))
    ]
    # One event and one email tell both: the replacement placed and the difference refunded.
    (event,) = ReturnEvent.objects.filter(type=ReturnEvent.Type.EXCHANGED)
    assert event.data["exchange_order"] == r.exchange_order.number
    assert tracked_order(event.data["exchange_tracking_url"]) == r.exchange_order.number
    assert [row["kind"] for row in event.data["refunds"]] == ["exchange_difference"]
    assert (event.data["amount"], event.data["refunded_total"]) == ("10.00", "10.00")
    (message,) = OutboxMessage.objects.filter(event_type="return.exchanged")
    assert message.payload["event"]["refunds"][0]["amount"] == "10.00"
    assert r.refunded_amount == D("10.00") == refunded(order)
    order.refresh_from_db()
    assert order.refunded_for_returns == D("10.00")


@pytest.mark.django_db
def test_a_dearer_replacement_waits_for_the_difference_through_a_payment_link(
    django_capture_on_commit_callbacks,
):
    order, other = tee_order(other_price="30.00")
    r = exchange_return(order, other)

    with django_capture_on_commit_callbacks(execute=True):
        r = receive_all(r)

    r.refresh_from_db()
    exchange = r.exchange_order
    assert (exchange.status, exchange.total) == (Order.Status.PENDING_PAYMENT, D("20.00"))
    assert OrderEvent.objects.filter(
        order=exchange, type=OrderEvent.Type.PAYMENT_LINK_SENT
    ).exists()
    assert not ReturnRefund.objects.exists()


@pytest.mark.django_db
def test_out_of_stock_exchange_is_refused_and_writes_nothing():
    order, other = tee_order(other_stock=1)
    r = exchange_return(order, other)
    events_before = ReturnEvent.objects.count()

    with pytest.raises(InsufficientStock):
        # An approved return may be exchanged at once (what an instant exchange does).
        exchanges.place_exchange_order(return_request=r, actor=ACTOR)

    r.refresh_from_db()
    assert r.exchange_order is None
    assert not Order.objects.filter(channel=Order.Channel.EXCHANGE).exists()
    assert ReturnEvent.objects.count() == events_before
    assert Stock.objects.get(variant=other).allocated == 0


@pytest.mark.django_db
def test_out_of_stock_at_receipt_keeps_the_receipt_and_tells_the_rep():
    order, other = tee_order(other_stock=1)
    r = exchange_return(order, other)

    r = receive_all(r)

    r.refresh_from_db()
    assert (r.status, r.exchange_order) == (S.RECEIVED, None)
    note = ReturnEvent.objects.get(type=ReturnEvent.Type.NOTE)
    assert (note.reason, note.data["code"]) == ("exchange_not_placed", "insufficient_stock")


@pytest.mark.django_db
def test_a_refund_return_cannot_be_exchanged():
    order, _other = tee_order()
    r = request(order, wanted(order, "TEE-M", 2))

    with pytest.raises(InvalidTransition):
        exchanges.place_exchange_order(return_request=r, actor=ACTOR)


# --- instant exchanges ----------------------------------------------------------------------


def hold_of(r) -> Payment:
    r.refresh_from_db()
    return payments.find_hold(r.exchange_order, exchanges.hold_reference(r))


@pytest.mark.django_db
def test_instant_exchange_ships_at_once_secured_by_a_hold_voided_on_arrival(
    django_capture_on_commit_callbacks,
):
    order, other = tee_order()
    save_card(order)
    with django_capture_on_commit_callbacks(execute=True):  # approved at once: placed
        r = exchange_return(order, other, is_instant_exchange=True)
    exchange = exchanges.place_exchange_order(return_request=r, actor=ACTOR)

    exchange.refresh_from_db()
    assert (exchange.status, exchange.total) == (Order.Status.CONFIRMED, 0)
    hold = hold_of(r)
    assert (hold.status, hold.amount_authorized) == (Payment.Status.AUTHORIZED, D("40.00"))
    # The replacement ships: its own settlement never captures the hold.
    for shipment in exchange.shipments.all():
        services.ship_shipment(
            shipment=shipment, carrier="ups", tracking_number=f"X{shipment.pk}", actor=ACTOR
        )
    payments.settle_payments(order_id=exchange.pk, actor=ACTOR)
    hold.refresh_from_db()
    assert (hold.amount_captured, hold.is_voided) == (0, False)

    with django_capture_on_commit_callbacks(execute=True):
        r = receive_all(r)

    hold.refresh_from_db()
    assert (hold.status, hold.is_voided) == (Payment.Status.VOIDED, True)
    assert SandboxCharge.objects.get(reference=hold.reference).is_voided
    r.refresh_from_db()
    assert r.status == S.EXCHANGED
    assert Order.objects.filter(channel=Order.Channel.EXCHANGE).count() == 1
    assert refunded(order) == 0
    assert exchanges.settle_exchange_hold(return_request=r, actor=ACTOR) == "voided"
    assert Payment.objects.filter(order=exchange).count() == 1


@pytest.mark.django_db
def test_instant_exchange_hold_is_captured_when_the_return_never_arrives(
    django_capture_on_commit_callbacks,
):
    order, other = tee_order()
    save_card(order)
    with django_capture_on_commit_callbacks(execute=True):
        r = exchange_return(order, other, is_instant_exchange=True)

    with django_capture_on_commit_callbacks(execute=True):
        transitions.expire_returns(now=timezone.now() + timedelta(days=60))
    r.refresh_from_db()
    assert r.status == S.EXPIRED
    assert exchanges.settle_exchange_hold(return_request=r, actor=ACTOR) == "captured"  # again

    hold = hold_of(r)
    assert (hold.status, hold.amount_captured) == (Payment.Status.CAPTURED, D("40.00"))
    assert SandboxCharge.objects.get(reference=hold.reference).captured == D("40.00")


@pytest.mark.django_db
def test_a_declined_hold_cancels_the_replacement_and_the_return_goes_on_as_a_normal_exchange(
    django_capture_on_commit_callbacks,
):
    order, other = tee_order()
    save_card(order, token="4000000000000002")  # declined
    with django_capture_on_commit_callbacks(execute=True):
        r = exchange_return(order, other, is_instant_exchange=True)

    first = Order.objects.get(channel=Order.Channel.EXCHANGE)
    r.refresh_from_db()
    assert first.status == Order.Status.CANCELLED
    assert (r.exchange_order, r.is_instant_exchange) == (None, False)
    assert Stock.objects.get(variant=other).allocated == 0
    assert ReturnEvent.objects.filter(reason="instant_exchange_declined").exists()

    with django_capture_on_commit_callbacks(execute=True):
        r = receive_all(r)
    r.refresh_from_db()
    assert r.status == S.EXCHANGED
    assert r.exchange_order.status == Order.Status.CONFIRMED


@pytest.mark.django_db
def test_instant_exchange_without_a_saved_card_is_paid_through_a_link_and_refunded_on_arrival(
    django_capture_on_commit_callbacks,
):
    order, other = tee_order()
    with django_capture_on_commit_callbacks(execute=True):  # approved at once: placed
        r = exchange_return(order, other, is_instant_exchange=True)
    exchange = exchanges.place_exchange_order(return_request=r, actor=ACTOR)

    assert (exchange.status, exchange.total) == (Order.Status.PENDING_PAYMENT, D("40.00"))
    assert OrderEvent.objects.filter(
        order=exchange, type=OrderEvent.Type.PAYMENT_LINK_SENT
    ).exists()

    with django_capture_on_commit_callbacks(execute=True):
        r = receive_all(r)
    r.refresh_from_db()
    assert (r.status, r.refunded_amount) == (S.EXCHANGED, D("40.00"))
    assert refunded(order) == D("40.00")


@pytest.mark.django_db
def test_a_hold_is_voided_not_captured_when_the_replacement_itself_was_cancelled(
    django_capture_on_commit_callbacks,
):
    order, other = tee_order()
    save_card(order)
    with django_capture_on_commit_callbacks(execute=True):
        r = exchange_return(order, other, is_instant_exchange=True)
    r.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        services.cancel_order(order=r.exchange_order, actor=ACTOR, reason="out of stock")

    with django_capture_on_commit_callbacks(execute=True):
        transitions.expire_returns(now=timezone.now() + timedelta(days=60))

    hold = hold_of(r)
    assert (hold.status, hold.amount_captured) == (Payment.Status.VOIDED, 0)
