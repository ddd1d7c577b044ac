"""Payments: the sandbox gateway, authorization at placement (declines, gateway errors), capture
on shipment, void on cancellation, and settle_payments racing itself on PostgreSQL: money moves
once, and refunds never exceed what was captured."""

import threading
import time
from collections import Counter
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.db.models import F, Sum
from rest_framework.test import APIClient

from oms.actors import Actor
from orders.gateways.sandbox import SandboxGateway
from orders.models import (
    Allocation,
    Order,
    OrderEvent,
    Payment,
    PaymentTransaction,
    SandboxCharge,
    SandboxOperation,
    Stock,
)
from orders.services import cancel_order, settle_payments
from tests.factories import order_body

pytestmark = pytest.mark.django_db(transaction=True)

Kind = PaymentTransaction.Kind
TxStatus = PaymentTransaction.Status
DECLINED_CARD = "4000000000000002"
ERROR_CARD = "4000000000000119"


def place(api, idem, lines, token="4242424242424242") -> dict:
    body = order_body(lines, payment={"gateway": "sandbox", "token": token})
    response = api.post("/api/v1/orders/", body, format="json", **idem())
    assert response.status_code == 201, response.json()
    return response.json()


def ship(api, shipment_number: str) -> None:
    response = api.post(
        f"/api/v1/shipments/{shipment_number}/ship/",
        {"carrier": "ups", "tracking_number": f"1Z{shipment_number}"},
        format="json",
    )
    assert response.status_code == 200, response.json()


def start_threads(calls) -> tuple[list[threading.Thread], list]:
    """Start one thread per call, all released together by a barrier. Each thread closes its
    own database connection. Join the threads, then read the results (or exceptions)."""
    barrier = threading.Barrier(len(calls), timeout=60)
    results: list = [None] * len(calls)

    def worker(index: int) -> None:
        try:
            barrier.wait()
            results[index] = calls[index]()
        except Exception as exc:  # noqa: BLE001 - a crash is a result to assert on
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    return threads, results


def join(threads: list[threading.Thread]) -> None:
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "a racing thread hung"


def race(call, *, threads: int) -> list:
    workers, results = start_threads([call] * threads)
    join(workers)
    crashes = [r for r in results if isinstance(r, Exception)]
    assert not crashes, crashes
    return results


def wait_for_lock_waiters(count: int) -> None:
    """Wait until `count` sessions of this test database are blocked on a row lock."""
    deadline = time.monotonic() + 15
    waiting = 0
    while time.monotonic() < deadline:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
            waiting = cursor.fetchone()[0]
        if waiting >= count:
            return
        time.sleep(0.02)
    pytest.fail(f"only {waiting} of {count} sessions reached the lock")


def assert_ledger_balances(payment: Payment) -> None:
    """The payment's cached amounts equal its succeeded ledger rows and the gateway's charge,
    and nothing is left pending."""
    payment.refresh_from_db()

    def succeeded(kind: str) -> Decimal:
        return payment.transactions.filter(kind=kind, status=TxStatus.SUCCEEDED).aggregate(
            s=Sum("amount")
        )["s"] or Decimal(0)

    charge = SandboxCharge.objects.get(reference=payment.reference)
    assert not payment.transactions.filter(status=TxStatus.PENDING).exists()
    assert payment.amount_captured == succeeded(Kind.CAPTURE) == charge.captured
    assert payment.amount_refunded == succeeded(Kind.REFUND) == charge.refunded
    assert 0 <= payment.amount_refunded <= payment.amount_captured <= payment.amount_authorized
    assert payment.is_voided == charge.is_voided


# --- the sandbox gateway --------------------------------------------------------------------


def test_sandbox_replays_a_repeated_idempotency_key_without_doing_the_work_again():
    gateway = SandboxGateway()

    first = gateway.authorize(
        amount=Decimal("30.00"), currency="USD", token="4242424242424242", idempotency_key="auth-1"
    )
    again = gateway.authorize(
        amount=Decimal("30.00"), currency="USD", token="4242424242424242", idempotency_key="auth-1"
    )

    assert first.is_success and first == again
    assert first.method_label == "Visa •••• 4242"
    charge = SandboxCharge.objects.get()
    assert charge.reference == first.reference
    for _ in range(2):
        assert gateway.capture(
            reference=charge.reference, amount=Decimal("20.00"), idempotency_key="capture-1"
        ).is_success
        assert gateway.refund(
            reference=charge.reference, amount=Decimal("5.00"), idempotency_key="refund-1"
        ).is_success
    charge.refresh_from_db()
    assert (charge.captured, charge.refunded) == (Decimal("20.00"), Decimal("5.00"))
    assert SandboxOperation.objects.count() == 3


def test_sandbox_refuses_to_refund_more_than_captured_or_capture_more_than_authorized():
    gateway = SandboxGateway()
    reference = gateway.authorize(
        amount=Decimal("30.00"), currency="USD", token="tok_4242424242424242", idempotency_key="a"
    ).reference
    assert gateway.capture(
        reference=reference, amount=Decimal("10.00"), idempotency_key="c1"
    ).is_success

    too_much_refund = gateway.refund(
        reference=reference, amount=Decimal("10.01"), idempotency_key="r1"
    )
    too_much_capture = gateway.capture(
        reference=reference, amount=Decimal("20.01"), idempotency_key="c2"
    )
    void_after_capture = gateway.void(reference=reference, idempotency_key="v1")

    assert too_much_refund.error_code == "amount_too_large"
    assert too_much_capture.error_code == "amount_too_large"
    assert void_after_capture.error_code == "already_captured"
    charge = SandboxCharge.objects.get()
    assert (charge.captured, charge.refunded, charge.is_voided) == (Decimal("10.00"), 0, False)


@pytest.mark.postgres
def test_sandbox_authorizes_once_when_one_key_races_from_10_threads():
    def authorize():
        return SandboxGateway().authorize(
            amount=Decimal("30.00"),
            currency="USD",
            token="4242424242424242",
            idempotency_key="race-1",
        )

    results = race(authorize, threads=10)

    assert all(result.is_success for result in results)
    assert {result.reference for result in results} == {SandboxCharge.objects.get().reference}
    assert SandboxOperation.objects.count() == 1


# --- authorization at placement ---------------------------------------------------------------


def test_declined_card_answers_402_and_leaves_the_order_cancelled_with_stock_released(
    api, idem, stocked_variant
):
    body = order_body([("TEE-M", 2)], payment={"gateway": "sandbox", "token": DECLINED_CARD})

    response = api.post("/api/v1/orders/", body, format="json", **idem())

    assert response.status_code == 402
    assert response["Content-Type"] == "application/problem+json"
    problem = response.json()
    assert problem["code"] == "payment_declined"
    assert problem["decline_code"] == "card_declined"
    order = Order.objects.get(number=problem["order_number"])
    assert order.status == Order.Status.CANCELLED
    assert set(Stock.objects.values_list("allocated", flat=True)) == {0}
    assert Allocation.objects.filter(quantity__gt=0).count() == 0
    payment = order.payments.get()
    assert payment.status == Payment.Status.FAILED
    assert payment.transactions.get().error_code == "card_declined"
    assert order.events.filter(type=OrderEvent.Type.PAYMENT_FAILED).count() == 1
    assert order.events.filter(type=OrderEvent.Type.CANCELLED).count() == 1
    assert not order.shipments.exists()
    assert SandboxCharge.objects.count() == 0


def test_gateway_error_answers_503_and_leaves_the_order_cancelled_with_stock_released(
    api, idem, stocked_variant
):
    body = order_body([("TEE-M", 1)], payment={"gateway": "sandbox", "token": ERROR_CARD})

    response = api.post("/api/v1/orders/", body, format="json", **idem())

    assert response.status_code == 503
    problem = response.json()
    assert problem["code"] == "payment_gateway_unavailable"
    order = Order.objects.get(number=problem["order_number"])
    assert order.status == Order.Status.CANCELLED
    assert set(Stock.objects.values_list("allocated", flat=True)) == {0}
    payment = order.payments.get()
    assert (payment.status, payment.transactions.get().error_code) == (
        Payment.Status.FAILED,
        "gateway_error",
    )
    assert order.events.filter(type=OrderEvent.Type.PAYMENT_FAILED).count() == 1
    assert SandboxCharge.objects.count() == 0


# --- capture, void, refund ---------------------------------------------------------------------


def test_shipping_a_split_order_captures_each_parcel_and_the_captures_sum_to_the_total(
    api, idem, stocked_variant
):
    placed = place(api, idem, [("TEE-M", 7)])  # 5 from EAST + 2 from WEST
    assert placed["totals"]["total"] == "180.00"
    east, west = sorted(placed["shipments"], key=lambda s: s["warehouse"])
    payment = Payment.objects.get(order__number=placed["number"])

    ship(api, east["number"])
    payment.refresh_from_db()
    assert payment.amount_captured == Decimal("130.00")  # 5 units at 25.00 + the shipping
    assert payment.status == Payment.Status.PARTIALLY_CAPTURED

    ship(api, west["number"])

    captures = payment.transactions.filter(kind=Kind.CAPTURE).order_by("pk")
    assert [c.amount for c in captures] == [Decimal("130.00"), Decimal("50.00")]
    assert {c.status for c in captures} == {TxStatus.SUCCEEDED}
    payment.refresh_from_db()
    assert payment.amount_captured == Decimal("180.00") == payment.amount_authorized
    assert payment.status == Payment.Status.CAPTURED
    assert_ledger_balances(payment)


def test_cancelling_before_shipment_voids_the_authorization(api, idem, stocked_variant):
    placed = place(api, idem, [("TEE-M", 2)])

    response = api.post(
        f"/api/v1/orders/{placed['number']}/cancel/",
        {"reason": "customer changed their mind"},
        format="json",
        **idem(),
    )

    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "cancelled"
    payment = Payment.objects.get(order__number=placed["number"])
    assert payment.status == Payment.Status.VOIDED
    assert [(t.kind, t.status) for t in payment.transactions.order_by("pk")] == [
        (Kind.AUTHORIZE, TxStatus.SUCCEEDED),
        (Kind.VOID, TxStatus.SUCCEEDED),
    ]
    assert SandboxCharge.objects.get().is_voided
    assert set(Stock.objects.values_list("allocated", flat=True)) == {0}
    assert_ledger_balances(payment)


@pytest.mark.postgres
def test_racing_cancel_requests_cancel_once_and_void_once(api_token, api, idem, stocked_variant):
    placed = place(api, idem, [("TEE-M", 3)])
    number = placed["number"]

    def cancel():
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {api_token}")
        return client.post(
            f"/api/v1/orders/{number}/cancel/",
            {"reason": "duplicate order"},
            format="json",
            **idem(),
        )

    results = race(cancel, threads=10)

    assert Counter(r.status_code for r in results) == {200: 10}
    order = Order.objects.get(number=number)
    assert order.status == Order.Status.CANCELLED
    assert order.events.filter(type=OrderEvent.Type.CANCELLED).count() == 1
    assert order.events.filter(type=OrderEvent.Type.PAYMENT_VOIDED).count() == 1
    payment = order.payments.get()
    assert payment.transactions.filter(kind=Kind.VOID).count() == 1
    assert set(Stock.objects.values_list("allocated", flat=True)) == {0}
    assert_ledger_balances(payment)


@pytest.mark.postgres
def test_settlements_racing_a_cancellation_void_the_authorization_once(api, idem, stocked_variant):
    """A sweep calls settle_payments while a cancellation settles too. The payment row is held
    so that the cancellation's settlement and nine sweeps queue on the locks, then race."""
    placed = place(api, idem, [("TEE-M", 2)])
    order = Order.objects.get(number=placed["number"])
    payment = order.payments.get()
    held, release = threading.Event(), threading.Event()

    def hold_payment_row() -> None:
        try:
            with transaction.atomic():
                Payment.objects.select_for_update().get(pk=payment.pk)
                held.set()
                release.wait(timeout=30)
        finally:
            connection.close()

    holder = threading.Thread(target=hold_payment_row)
    holder.start()
    assert held.wait(timeout=10)
    canceller, cancelled = start_threads(
        [lambda: cancel_order(order=order, actor=Actor.system("tests"), reason="fraud")]
    )
    wait_for_lock_waiters(1)  # the cancellation committed; its settlement waits for the payment
    sweep = lambda: settle_payments(order_id=order.pk, actor=Actor.system("sweep"))  # noqa: E731
    sweepers, swept = start_threads([sweep] * 9)
    wait_for_lock_waiters(10)
    release.set()
    join([holder, *canceller, *sweepers])

    crashes = [r for r in [*cancelled, *swept] if isinstance(r, Exception)]
    assert not crashes, crashes
    order.refresh_from_db()
    assert order.status == Order.Status.CANCELLED
    assert payment.transactions.filter(kind=Kind.VOID).count() == 1
    assert order.events.filter(type=OrderEvent.Type.PAYMENT_VOIDED).count() == 1
    assert SandboxOperation.objects.filter(operation="void").count() == 1
    payment.refresh_from_db()
    assert payment.status == Payment.Status.VOIDED
    assert_ledger_balances(payment)


@pytest.mark.postgres
def test_settlements_racing_after_the_amount_owed_drops_refund_the_difference_once(
    api, idem, stocked_variant
):
    """After capture, what is owed drops (as a price adjustment does): ten racing settlements
    refund the difference exactly once, and refunds never exceed what was captured."""
    placed = place(api, idem, [("TEE-M", 2)])
    ship(api, placed["shipments"][0]["number"])
    order = Order.objects.get(number=placed["number"])
    payment = order.payments.get()
    assert payment.amount_captured == Decimal("55.00")

    def settle():
        return settle_payments(order_id=order.pk, actor=Actor.system("tests"), reason="adjusted")

    Order.objects.filter(pk=order.pk).update(total=F("total") - Decimal("20.00"))
    race(settle, threads=10)

    refunds = payment.transactions.filter(kind=Kind.REFUND)
    assert [(r.amount, r.status) for r in refunds] == [(Decimal("20.00"), TxStatus.SUCCEEDED)]
    payment.refresh_from_db()
    assert payment.status == Payment.Status.PARTIALLY_REFUNDED
    assert_ledger_balances(payment)

    Order.objects.filter(pk=order.pk).update(total=0)
    race(settle, threads=10)
    race(settle, threads=10)  # nothing left to refund: changes nothing

    assert sorted(r.amount for r in refunds.all()) == [Decimal("20.00"), Decimal("35.00")]
    payment.refresh_from_db()
    assert payment.amount_refunded == payment.amount_captured == Decimal("55.00")
    assert payment.status == Payment.Status.REFUNDED
    assert order.events.filter(type=OrderEvent.Type.PAYMENT_REFUNDED).count() == 2
    assert_ledger_balances(payment)


def test_capture_during_a_gateway_outage_stays_pending_and_is_retried_once(
    api, idem, stocked_variant, monkeypatch
):
    from datetime import timedelta

    from orders.gateways import GatewayError
    from orders.services import resume_pending_transactions

    order = place(api, idem, [("TEE-M", 1)])
    real_capture = SandboxGateway.capture

    def outage(self, **kwargs):
        raise GatewayError("connection reset")

    monkeypatch.setattr(SandboxGateway, "capture", outage)
    ship(api, order["shipments"][0]["number"])  # the shipment ships; the capture cannot
    capture = PaymentTransaction.objects.get(kind=Kind.CAPTURE)
    assert capture.status == TxStatus.PENDING
    assert Payment.objects.get().amount_captured == 0

    assert resume_pending_transactions(older_than=timedelta(0)) == 1  # still down
    assert PaymentTransaction.objects.get(kind=Kind.CAPTURE).status == TxStatus.PENDING

    monkeypatch.setattr(SandboxGateway, "capture", real_capture)
    assert resume_pending_transactions(older_than=timedelta(0)) == 1
    assert resume_pending_transactions(older_than=timedelta(0)) == 0
    payment = Payment.objects.get()
    assert payment.amount_captured == Decimal("30.00")
    assert SandboxCharge.objects.get().captured == Decimal("30.00")
    assert PaymentTransaction.objects.filter(kind=Kind.CAPTURE).count() == 1
