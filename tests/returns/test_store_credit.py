"""Store credit: a signed ledger per customer and currency. Issuing is idempotent by (kind,
reference), a debit never overdraws (not even two racing on PostgreSQL), and credit given about
an order tells the customer, in their language, with the new balance."""

import threading
from decimal import Decimal

import pytest
from django.db import connection

from notifications.models import OutboxMessage
from notifications.rendering import render_email
from oms.exceptions import Conflict, ValidationFailed
from returns import selectors
from returns.models import StoreCreditEntry
from returns.services import store_credit
from tests.factories import CustomerFactory, StockFactory, VariantFactory, WarehouseFactory
from tests.orders.builders import ACTOR, order_input

Kind = StoreCreditEntry.Kind
D = Decimal


def give(customer, amount, reference, *, currency="USD", kind=Kind.GOODWILL, order=None):
    return store_credit.issue_credit(
        customer=customer,
        amount=amount,
        currency=currency,
        kind=kind,
        reference=reference,
        reason="late_delivery",
        actor=ACTOR,
        order=order,
    )


def take(customer, amount, reference, *, currency="USD"):
    return store_credit.debit_credit(
        customer=customer,
        amount=amount,
        currency=currency,
        reference=reference,
        reason="paid an order",
        actor=ACTOR,
    )


@pytest.mark.django_db
def test_issuing_twice_with_the_same_reference_credits_once():
    customer = CustomerFactory()

    first = give(customer, "25.00", "adjustment:1")
    again = give(customer, "25", "adjustment:1")

    assert again.pk == first.pk
    assert StoreCreditEntry.objects.count() == 1
    assert selectors.balance(customer, "USD") == D("25.00")


@pytest.mark.django_db
def test_a_reference_reused_for_another_amount_is_refused():
    customer = CustomerFactory()
    give(customer, "25.00", "adjustment:1")
    with pytest.raises(Conflict):
        give(customer, "30.00", "adjustment:1")
    assert selectors.balance(customer, "USD") == D("25.00")


@pytest.mark.django_db
def test_debits_never_overdraw_and_a_refusal_writes_nothing():
    customer = CustomerFactory()
    give(customer, "30.00", "bonus:1", kind=Kind.BONUS)
    take(customer, "20.00", "order:1")

    with pytest.raises(Conflict) as error:
        take(customer, "10.01", "order:2")

    assert error.value.code == "insufficient_store_credit"
    assert error.value.extra["balance"] == "10.00"  # text in cents: a JSON float would round
    assert StoreCreditEntry.objects.count() == 2
    assert selectors.balance(customer, "USD") == D("10.00")
    assert take(customer, "20.00", "order:1").amount == D("-20.00")  # a retry: same entry
    assert StoreCreditEntry.objects.count() == 2


@pytest.mark.django_db
def test_balances_are_per_currency():
    customer = CustomerFactory()
    give(customer, "25.00", "a:1")
    give(customer, "100.00", "a:2", currency="BRL")
    take(customer, "5.00", "o:1")
    assert selectors.balances(customer) == {"BRL": D("100.00"), "USD": D("20.00")}
    assert selectors.balance(customer, "EUR") == 0


@pytest.mark.django_db
@pytest.mark.parametrize(
    "kwargs",
    [
        {"amount": "0"},
        {"amount": "-5"},
        {"amount": "1.234"},
        {"amount": "x"},
        {"currency": "XXX"},
        {"kind": Kind.PAYMENT},
        {"reference": ""},
    ],
)
def test_bad_credits_are_refused(kwargs):
    customer = CustomerFactory()
    values = {"amount": "5", "reference": "r:1", "currency": "USD", "kind": Kind.GOODWILL}
    values.update(kwargs)
    with pytest.raises(ValidationFailed):
        store_credit.issue_credit(customer=customer, reason="x", actor=ACTOR, **values)
    assert not StoreCreditEntry.objects.exists()


@pytest.mark.django_db
def test_credit_about_an_order_emails_the_customer_the_amount_and_new_balance():
    WarehouseFactory(code="EAST")
    StockFactory(variant=VariantFactory(sku="TEE-M"), warehouse=WarehouseFactory(code="EAST"))
    from orders import services

    order = services.place_order(
        data=order_input(
            [("TEE-M", 1)],
            customer=services.CustomerInput(email="ana@example.com", name="Ana", locale="pt-br"),
        ),
        actor=ACTOR,
    )
    give(order.customer, "10.00", "bonus:old", kind=Kind.BONUS)

    give(order.customer, "25.00", "adjustment:9", order=order)

    message = OutboxMessage.objects.get(event_type="store_credit.issued")
    event = message.payload["event"]
    assert (event["amount"], event["balance"], event["credit_currency"]) == (
        "25.00",
        "35.00",
        "USD",
    )
    email = render_email(message)
    assert "USD 25,00" in email.subject and order.number in email.subject  # in Portuguese
    assert "USD 35,00" in email.text and "USD 35,00" in email.html


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_racing_debits_cannot_overdraw_on_postgresql():
    customer = CustomerFactory()
    give(customer, "30.00", "bonus:1", kind=Kind.BONUS)
    barrier = threading.Barrier(4, timeout=30)
    results: list = [None] * 4

    def debit(index: int) -> None:
        try:
            barrier.wait()
            results[index] = take(customer, "20.00", f"order:{index}")
        except Exception as exc:  # noqa: BLE001 - a refusal is a result to assert on
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=debit, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert not any(thread.is_alive() for thread in threads)
    succeeded = [r for r in results if isinstance(r, StoreCreditEntry)]
    refused = [r for r in results if isinstance(r, Conflict)]
    assert (len(succeeded), len(refused)) == (1, 3), results
    assert selectors.balance(customer, "USD") == D("10.00")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_racing_retries_of_one_credit_write_it_once_on_postgresql():
    customer = CustomerFactory()
    barrier = threading.Barrier(4, timeout=30)
    results: list = [None] * 4

    def credit(index: int) -> None:
        try:
            barrier.wait()
            results[index] = give(customer, "15.00", "adjustment:77").pk
        except Exception as exc:  # noqa: BLE001
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=credit, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert len(set(results)) == 1 and isinstance(results[0], int), results
    assert selectors.balance(customer, "USD") == D("15.00")
    assert StoreCreditEntry.objects.get().actor_label == ACTOR.label


@pytest.mark.django_db
def test_reversals_credit_back_and_a_reversal_reference_is_one_entry():
    customer = CustomerFactory()
    give(customer, "30.00", "bonus:1", kind=Kind.BONUS)
    take(customer, "30.00", "order:1")

    first = give(customer, "12.50", "sc1:refund-key", kind=Kind.REVERSAL)
    again = give(customer, "12.50", "sc1:refund-key", kind=Kind.REVERSAL)

    assert first.pk == again.pk
    assert selectors.balance(customer, "USD") == D("12.50")
    assert [e.kind for e in selectors.store_credit_entries(customer)] == [
        Kind.REVERSAL,
        Kind.PAYMENT,
        Kind.BONUS,
    ]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_orders_racing_for_the_same_credit_cannot_both_spend_it_on_postgresql():
    from orders import services
    from orders.models import Order
    from returns.gateway import store_credit_token

    warehouse = WarehouseFactory(code="EAST")
    StockFactory(variant=VariantFactory(sku="TEE-M", price=D("20.00")), warehouse=warehouse)
    customer = CustomerFactory(email="ana@example.com")
    give(customer, "50.00", "welcome")  # one order of 45.00 fits, two do not
    barrier = threading.Barrier(2, timeout=30)
    results: list = [None] * 2

    def place(index: int) -> None:
        try:
            barrier.wait()
            results[index] = services.place_order(
                data=order_input(
                    [("TEE-M", 2)],
                    payment=services.PaymentInput(
                        gateway="store_credit", token=store_credit_token(customer)
                    ),
                ),
                actor=ACTOR,
            ).status
        except Exception as exc:  # noqa: BLE001 - a decline is a result to assert on
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=place, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(str(type(r).__name__) if not isinstance(r, str) else r for r in results) == [
        "PaymentFailed",
        "confirmed",
    ], results
    assert selectors.balance(customer, "USD") == D("5.00")
    assert Order.objects.filter(status="cancelled").count() == 1
