"""Refunds under real concurrency (PostgreSQL, threads released together by a barrier): the
order and return locks make exactly one of many competing refunds happen, and the gateway sees
it exactly once."""

import threading
from decimal import Decimal

import pytest
from django.db import connection

from oms.exceptions import Conflict, ValidationFailed
from orders.models import Order, Payment, PaymentTransaction, SandboxCharge
from returns.models import ReturnRefund
from returns.services import receiving, refunds
from tests.returns.lifecycle_builders import ACTOR, delivered_order, request, store_policy, wanted

D = Decimal
THREADS = 20


def race(work, count: int = THREADS) -> list:
    """Run work(i) in `count` threads released together; each result or exception, in order."""
    barrier = threading.Barrier(count, timeout=30)
    results: list = [None] * count

    def run(index: int) -> None:
        try:
            barrier.wait()
            results[index] = work(index)
        except Exception as exc:  # noqa: BLE001 - a refusal is a result to assert on
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads)
    return results


def whole_order_return():
    store_policy()
    order = delivered_order()  # 2 x 20.00 + 20.00 + shipping 5.00 = 65.00, captured
    r = request(order, wanted(order, "TEE-M", 2), wanted(order, "CAP", 1))
    return order, r


def gateway_refunds(order) -> tuple[Decimal, list[Decimal]]:
    """(refunded at the sandbox, the succeeded refund transactions' amounts)."""
    payment = Payment.objects.get(order=order)
    charge = SandboxCharge.objects.get(reference=payment.reference)
    rows = PaymentTransaction.objects.filter(
        payment=payment, kind=PaymentTransaction.Kind.REFUND
    ).values_list("amount", "status")
    assert all(status == PaymentTransaction.Status.SUCCEEDED for _amount, status in rows)
    return charge.refunded, [amount for amount, _status in rows]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_twenty_concurrent_refunds_of_sixty_percent_exactly_one_succeeds_on_postgresql():
    order, r = whole_order_return()
    sixty_percent = D("39.00")  # 60 % of 65.00

    results = race(
        lambda i: refunds.refund_return_amount(
            return_request=r,
            amount=sixty_percent,
            actor=ACTOR,
            reason="refund 60 % of the order",
            idempotency_reference=f"request-{i}",
        )
    )

    succeeded = [x for x in results if isinstance(x, ReturnRefund)]
    refused = [x for x in results if isinstance(x, Conflict | ValidationFailed)]
    assert (len(succeeded), len(refused)) == (1, THREADS - 1), results
    assert {x.code for x in refused} <= {"refund_exceeds_return", "refund_exceeds_captured"}
    assert ReturnRefund.objects.count() == 1
    order.refresh_from_db()
    r.refresh_from_db()
    assert order.refunded_for_returns == sixty_percent == r.refunded_amount
    assert Payment.objects.get(order=order).amount_refunded == sixty_percent
    assert gateway_refunds(order) == (sixty_percent, [sixty_percent])


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_twenty_retries_of_one_refund_refund_once_on_postgresql():
    order, r = whole_order_return()

    results = race(
        lambda i: (
            refunds.refund_return_amount(
                return_request=r,
                amount="39.00",
                actor=ACTOR,
                reason="refund 60 % of the order",
                idempotency_reference="the-same-request",
            ).pk
        )
    )

    assert len(set(results)) == 1 and isinstance(results[0], int), results
    assert gateway_refunds(order) == (D("39.00"), [D("39.00")])


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_releases_of_a_received_return_refund_it_once_on_postgresql():
    order, r = whole_order_return()
    lines = list(r.lines.order_by("pk"))
    r = receiving.receive_return(
        return_request=r,
        lines=[(line.pk, line.quantity, "as_new") for line in lines],
        actor=ACTOR,
    )  # releases 60.00 itself, after commit

    results = race(lambda i: refunds.release_refund(return_request=r, actor=ACTOR).status)

    assert set(results) == {"refunded"}, results
    assert list(ReturnRefund.objects.values_list("amount", flat=True)) == [D("60.00")]
    assert Order.objects.get(pk=order.pk).refunded_for_returns == D("60.00")
    assert gateway_refunds(order) == (D("60.00"), [D("60.00")])


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_staff_refunds_racing_a_receipt_never_refund_more_than_captured_on_postgresql():
    order, r = whole_order_return()
    lines = list(r.lines.order_by("pk"))

    def work(index: int):
        if index == 0:
            return receiving.receive_return(
                return_request=r,
                lines=[(line.pk, line.quantity, "as_new") for line in lines],
                actor=ACTOR,
            )
        return refunds.refund_return_amount(
            return_request=r,
            amount="25.00",
            actor=ACTOR,
            reason="staff",
            idempotency_reference=f"staff-{index}",
        )

    race(work, count=8)

    r.refresh_from_db()
    order.refresh_from_db()
    refunded, rows = gateway_refunds(order)
    assert r.refunded_amount <= r.estimated_total == D("60.00")
    assert order.refunded_for_returns == r.refunded_amount == refunded == sum(rows, D(0))
    assert refunded <= Payment.objects.get(order=order).amount_captured
