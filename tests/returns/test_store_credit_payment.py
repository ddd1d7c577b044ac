"""Store credit as a payment method: an order paid in full from the customer's credit through
the normal placement path, declined cleanly when the balance is short, and given back exactly
once when the order (or part of it) is cancelled or returned."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from oms.exceptions import PaymentFailed
from orders import services
from orders.models import Order, Payment, PaymentTransaction, Stock
from orders.services import payments
from returns import selectors
from returns.gateway import StoreCreditGateway, store_credit_token
from returns.models import StoreCreditEntry
from returns.services import receiving, refunds, store_credit
from tests.factories import (
    CustomerFactory,
    StockFactory,
    VariantFactory,
    WarehouseFactory,
    order_body,
)
from tests.orders.builders import ACTOR, order_input
from tests.returns.lifecycle_builders import request, store_policy, wanted

D = Decimal
Kind = StoreCreditEntry.Kind


def catalog() -> None:
    warehouse = WarehouseFactory(code="EAST")
    StockFactory(variant=VariantFactory(sku="TEE-M", price=D("20.00")), warehouse=warehouse)
    StockFactory(variant=VariantFactory(sku="CAP", price=D("10.00")), warehouse=warehouse)


def customer_with_credit(amount: str):
    customer = CustomerFactory(email="ana@example.com")
    if D(amount):
        store_credit.issue_credit(
            customer=customer,
            amount=amount,
            currency="USD",
            kind=Kind.GOODWILL,
            reference="welcome",
            reason="welcome",
            actor=ACTOR,
        )
    return customer


def pay_with_credit(customer, lines=(("TEE-M", 2), ("CAP", 1)), token=None):
    """An order of 2 x 20.00 + 10.00 + 5.00 shipping = 55.00, paid with store credit."""
    return services.place_order(
        data=order_input(
            list(lines),
            payment=services.PaymentInput(
                gateway="store_credit", token=token or store_credit_token(customer)
            ),
        ),
        actor=ACTOR,
    )


def test_the_store_credit_gateway_is_registered_by_the_returns_app():
    assert isinstance(payments.get_gateway("store_credit"), StoreCreditGateway)
    assert "store_credit" in payments.gateway_names()


@pytest.mark.django_db
def test_an_order_paid_in_full_with_store_credit_is_confirmed_and_debits_the_total():
    catalog()
    customer = customer_with_credit("80.00")

    order = pay_with_credit(customer)

    assert order.status == Order.Status.CONFIRMED
    assert order.customer_id == customer.pk
    payment = Payment.objects.get(order=order)
    assert (payment.gateway, payment.method_label, payment.status) == (
        "store_credit",
        "Store credit",
        Payment.Status.CAPTURED,
    )
    assert payment.amount_authorized == payment.amount_captured == D("55.00")
    assert selectors.balance(customer, "USD") == D("25.00")
    debit = StoreCreditEntry.objects.get(kind=Kind.PAYMENT)
    assert (debit.amount, debit.order_id) == (D("-55.00"), order.pk)


@pytest.mark.django_db
def test_insufficient_store_credit_declines_and_takes_nothing():
    catalog()
    customer = customer_with_credit("54.99")
    on_hand = list(Stock.objects.values_list("on_hand", "allocated"))

    with pytest.raises(PaymentFailed) as error:
        pay_with_credit(customer)

    assert error.value.extra["decline_code"] == "insufficient_store_credit"
    assert selectors.balance(customer, "USD") == D("54.99")
    assert list(StoreCreditEntry.objects.values_list("kind", flat=True)) == [Kind.GOODWILL]
    order = Order.objects.get()
    assert order.status == Order.Status.CANCELLED  # as a declined card leaves it
    assert list(Stock.objects.values_list("on_hand", "allocated")) == on_hand
    assert not Payment.objects.filter(status=Payment.Status.CAPTURED).exists()


@pytest.mark.django_db
def test_another_customers_credit_cannot_pay_an_order():
    catalog()
    customer_with_credit("0")
    rich = CustomerFactory(email="rich@example.com")
    store_credit.issue_credit(
        customer=rich,
        amount="500.00",
        currency="USD",
        kind=Kind.GOODWILL,
        reference="rich",
        reason="x",
        actor=ACTOR,
    )

    with pytest.raises(PaymentFailed) as error:
        pay_with_credit(None, token=store_credit_token(rich))

    assert error.value.extra["decline_code"] == "token_not_for_customer"
    assert selectors.balance(rich, "USD") == D("500.00")
    assert not StoreCreditEntry.objects.filter(kind=Kind.PAYMENT).exists()


@pytest.mark.django_db
def test_cancelling_an_order_paid_with_credit_gives_it_back_exactly_once(
    django_capture_on_commit_callbacks,
):
    catalog()
    customer = customer_with_credit("80.00")
    order = pay_with_credit(customer)

    with django_capture_on_commit_callbacks(execute=True):
        services.cancel_order(order=order, actor=ACTOR, reason="customer asked")
    services.settle_payments(order_id=order.pk, actor=ACTOR, reason="again")
    payments.resume_pending_transactions(older_than=timedelta())

    assert selectors.balance(customer, "USD") == D("80.00")
    reversal = StoreCreditEntry.objects.get(kind=Kind.REVERSAL)
    assert reversal.amount == D("55.00")
    payment = Payment.objects.get(order=order)
    assert (payment.status, payment.amount_refunded) == (Payment.Status.REFUNDED, D("55.00"))


@pytest.mark.django_db
def test_cancelling_some_units_gives_their_credit_back(django_capture_on_commit_callbacks):
    catalog()
    customer = customer_with_credit("80.00")
    order = pay_with_credit(customer)
    cap = order.lines.get(sku="CAP")

    with django_capture_on_commit_callbacks(execute=True):
        services.cancel_lines(order=order, lines=[(cap.pk, 1)], actor=ACTOR, reason="no longer")

    assert selectors.balance(customer, "USD") == D("35.00")
    assert Payment.objects.get(order=order).amount_refunded == D("10.00")


@pytest.mark.django_db
def test_gateway_calls_are_idempotent_and_never_give_back_more_than_was_taken():
    customer = customer_with_credit("50.00")
    gateway = StoreCreditGateway()

    first = gateway.authorize(
        amount=D("30.00"), currency="USD", token=store_credit_token(customer), idempotency_key="k"
    )
    again = gateway.authorize(
        amount=D("30.00"), currency="USD", token=store_credit_token(customer), idempotency_key="k"
    )
    assert first.is_success and again.reference == first.reference
    assert selectors.balance(customer, "USD") == D("20.00")

    assert gateway.capture(reference=first.reference, amount=D("30.00"), idempotency_key="c")
    assert gateway.refund(reference=first.reference, amount=D("10.00"), idempotency_key="r1")
    assert gateway.refund(reference=first.reference, amount=D("10.00"), idempotency_key="r1")
    too_much = gateway.refund(reference=first.reference, amount=D("20.01"), idempotency_key="r2")
    assert (too_much.is_success, too_much.error_code) == (False, "amount_too_large")
    assert gateway.void(reference=first.reference, idempotency_key="v").is_success
    assert gateway.void(reference=first.reference, idempotency_key="v2").is_success

    assert selectors.balance(customer, "USD") == D("50.00")
    reversals = StoreCreditEntry.objects.filter(kind=Kind.REVERSAL).order_by("pk")
    assert [entry.amount for entry in reversals] == [D("10.00"), D("20.00")]
    bad = gateway.authorize(
        amount=D("1.00"), currency="USD", token="customer:nope", idempotency_key="b"
    )
    assert (bad.is_success, bad.error_code) == (False, "invalid_token")


@pytest.mark.django_db
def test_a_return_of_an_order_paid_with_credit_is_refunded_as_credit(
    django_capture_on_commit_callbacks,
):
    store_policy()
    catalog()
    customer = customer_with_credit("80.00")
    order = pay_with_credit(customer)
    for shipment in order.shipments.all():
        services.ship_shipment(
            shipment=shipment, carrier="ups", tracking_number=f"T{shipment.pk}", actor=ACTOR
        )
        services.record_tracking_event(
            carrier="ups",
            tracking_number=f"T{shipment.pk}",
            carrier_event_id=f"d{shipment.pk}",
            status="delivered",
            occurred_at=timezone.now(),
            actor=ACTOR,
        )
    services.settle_payments(order_id=order.pk, actor=ACTOR)
    r = request(order, wanted(order, "TEE-M", 1))
    line = r.lines.get()

    with django_capture_on_commit_callbacks(execute=True):
        receiving.receive_return(return_request=r, lines=[(line.pk, 1, "as_new")], actor=ACTOR)

    r.refresh_from_db()
    assert r.refunded_amount == D("20.00")
    assert selectors.balance(customer, "USD") == D("45.00")  # 80 - 55 + 20
    assert PaymentTransaction.objects.filter(
        kind="refund", status="succeeded", amount=D("20.00")
    ).exists()
    refunds.release_refund(return_request=r, actor=ACTOR)
    assert selectors.balance(customer, "USD") == D("45.00")


# --- through the order API ---------------------------------------------------------------------


def api_order(api, idem, customer, lines=(("TEE-M", 2), ("CAP", 1))):
    body = order_body(
        list(lines),
        customer={"email": customer.email, "name": "Ana Souza"},
        payment={"gateway": "store_credit", "token": store_credit_token(customer)},
    )
    return api.post("/api/v1/orders/", body, format="json", **idem())


@pytest.mark.django_db
def test_the_order_api_takes_store_credit_and_debits_the_ledger(api, idem):
    catalog()
    customer = customer_with_credit("80.00")

    response = api_order(api, idem, customer)

    assert response.status_code == 201, response.json()
    placed = response.json()
    assert placed["status"] == Order.Status.CONFIRMED
    assert [(p["gateway"], p["status"]) for p in placed["payments"]] == [
        ("store_credit", Payment.Status.CAPTURED)
    ]
    assert selectors.balance(customer, "USD") == D("25.00")
    debit = StoreCreditEntry.objects.get(kind=Kind.PAYMENT)
    assert (debit.amount, debit.order.number) == (D("-55.00"), placed["number"])


@pytest.mark.django_db
def test_the_order_api_declines_short_store_credit_cleanly(api, idem):
    catalog()
    customer = customer_with_credit("54.99")

    response = api_order(api, idem, customer)

    assert response.status_code == 402, response.json()
    problem = response.json()
    assert (problem["code"], problem["decline_code"]) == (
        "payment_declined",
        "insufficient_store_credit",
    )
    assert selectors.balance(customer, "USD") == D("54.99")
    assert list(StoreCreditEntry.objects.values_list("kind", flat=True)) == [Kind.GOODWILL]
    assert not Payment.objects.filter(status=Payment.Status.CAPTURED).exists()
