"""Refunds for returns: only what the policy releases now (received units, or all of them on the
first scan or for a keep-it return), fees deducted, never more than captured minus refunded,
idempotent; store credit with its bonus; staff refunds of an amount within the same bounds."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from notifications.models import OutboxMessage
from oms.exceptions import Conflict, InvalidTransition, ValidationFailed
from orders.models import Order, Payment, SandboxCharge
from orders.services import adjustments
from returns import selectors
from returns.models import ReturnEvent, ReturnRefund, ReturnRequest, StoreCreditEntry
from returns.services import receiving, refunds, transitions
from tests.returns.lifecycle_builders import (
    ACTOR,
    delivered_order,
    request,
    store_policy,
    wanted,
)

D = Decimal
S = ReturnRequest.Status


def receive(return_request, *counts):
    """Receive `counts[i]` units of the return's i-th line, as new."""
    lines = list(return_request.lines.order_by("pk"))
    return receiving.receive_return(
        return_request=return_request,
        lines=[
            (line.pk, count, "as_new") for line, count in zip(lines, counts, strict=False) if count
        ],
        actor=ACTOR,
    )


def refunded_at_gateway(order) -> Decimal:
    references = Payment.objects.filter(order=order).values_list("reference", flat=True)
    return sum((c.refunded for c in SandboxCharge.objects.filter(reference__in=references)), D(0))


def payment_refunded(order) -> Decimal:
    return sum((p.amount_refunded for p in Payment.objects.filter(order=order)), D(0))


@pytest.mark.django_db
def test_receipt_refunds_the_received_units_once_through_the_gateway(
    django_capture_on_commit_callbacks,
):
    store_policy()
    order = delivered_order()  # 2 x TEE-M + 1 x CAP at 20.00, shipping 5.00: 65.00 captured
    r = request(order, wanted(order, "TEE-M", 2))

    with django_capture_on_commit_callbacks(execute=True):
        r = receive(r, 2)

    r.refresh_from_db()
    order.refresh_from_db()
    assert (r.status, r.refunded_amount, r.credited_amount) == (S.REFUNDED, D("40.00"), 0)
    assert order.refunded_for_returns == D("40.00")
    assert payment_refunded(order) == D("40.00") == refunded_at_gateway(order)
    assert list(ReturnRefund.objects.values_list("kind", "amount", "reference")) == [
        ("refund", D("40.00"), f"return:{r.rma}:refund:1")
    ]
    assert OutboxMessage.objects.filter(event_type="return.refunded").count() == 1

    with django_capture_on_commit_callbacks(execute=True):
        again = refunds.release_refund(return_request=r, actor=ACTOR)

    assert again.refunded_amount == D("40.00")
    event = ReturnEvent.objects.get(type=ReturnEvent.Type.REFUNDED)
    assert (event.data["refunded_total"], event.data["credited_total"]) == ("40.00", "0.00")
    assert ReturnRefund.objects.count() == 1
    assert payment_refunded(order) == D("40.00") == refunded_at_gateway(order)
    assert ReturnEvent.objects.filter(type=ReturnEvent.Type.REFUNDED).count() == 1


@pytest.mark.django_db
def test_partial_receipts_refund_only_what_arrived_and_resolve_when_all_is_in(
    django_capture_on_commit_callbacks,
):
    store_policy()
    order = delivered_order()
    r = request(order, wanted(order, "TEE-M", 2), wanted(order, "CAP", 1))

    with django_capture_on_commit_callbacks(execute=True):
        r = receive(r, 1, 0)
    r.refresh_from_db()
    assert (r.status, r.refunded_amount) == (S.RECEIVED, D("20.00"))

    with django_capture_on_commit_callbacks(execute=True):
        r = receive(r, 1, 1)
    r.refresh_from_db()
    assert (r.status, r.refunded_amount) == (S.REFUNDED, D("60.00"))
    assert [row.reference.rsplit(":", 1)[1] for row in ReturnRefund.objects.all()] == ["1", "2"]
    assert payment_refunded(order) == D("60.00") == refunded_at_gateway(order)


@pytest.mark.django_db
def test_restocking_fee_is_deducted_pro_rata_and_return_shipping_once(
    django_capture_on_commit_callbacks,
):
    policy = store_policy(return_shipping_fee=D("6.00"))
    policy.reason_rules.filter(reason="no_longer_wanted").update(return_shipping_paid_by="customer")
    order = delivered_order()
    # no_longer_wanted: 10 % restocking fee, and the customer pays return shipping.
    r = request(order, wanted(order, "TEE-M", 2, reason="no_longer_wanted"))
    assert (r.restocking_fee, r.return_shipping_fee) == (D("4.00"), D("6.00"))

    with django_capture_on_commit_callbacks(execute=True):
        r = receive(r, 1)
    r.refresh_from_db()
    assert r.refunded_amount == D("12.00")  # 20 - 2 - 6

    with django_capture_on_commit_callbacks(execute=True):
        r = receive(r, 1)
    r.refresh_from_db()
    assert r.refunded_amount == D("30.00") == r.estimated_total  # 40 - 4 - 6
    assert payment_refunded(order) == D("30.00")


@pytest.mark.django_db
def test_first_scan_releases_every_unit_and_leaves_the_status_in_transit(
    django_capture_on_commit_callbacks,
):
    store_policy(refund_release="first_scan")
    order = delivered_order()
    r = request(order, wanted(order, "TEE-M", 2))

    with django_capture_on_commit_callbacks(execute=True):
        receiving.record_return_scan(
            tracking_number=r.tracking_number,
            status="in_transit",
            occurred_at=timezone.now(),
            actor=ACTOR,
            carrier_event_id="scan-1",
        )
    r.refresh_from_db()
    assert (r.status, r.refunded_amount) == (S.IN_TRANSIT, D("40.00"))
    assert payment_refunded(order) == D("40.00")

    with django_capture_on_commit_callbacks(execute=True):
        r = receive(r, 2)
    r.refresh_from_db()
    assert (r.status, r.refunded_amount) == (S.REFUNDED, D("40.00"))
    assert ReturnRefund.objects.count() == 1
    assert OutboxMessage.objects.filter(event_type="return.refunded").count() == 1
    assert payment_refunded(order) == D("40.00") == refunded_at_gateway(order)


@pytest.mark.django_db
def test_inspection_release_waits_for_the_inspection(django_capture_on_commit_callbacks):
    store_policy(refund_release="inspection")
    order = delivered_order()
    r = request(order, wanted(order, "TEE-M", 2))

    with django_capture_on_commit_callbacks(execute=True):
        r = receive(r, 2)
    r.refresh_from_db()
    assert (r.status, r.refunded_amount) == (S.RECEIVED, 0)
    assert not ReturnRefund.objects.exists()

    line = r.lines.get()
    with django_capture_on_commit_callbacks(execute=True):
        receiving.inspect_return(return_request=r, lines=[(line.pk, "restock")], actor=ACTOR)
    r.refresh_from_db()
    assert (r.status, r.refunded_amount) == (S.REFUNDED, D("40.00"))
    assert payment_refunded(order) == D("40.00")


@pytest.mark.django_db
def test_keep_it_return_is_refunded_at_approval_without_a_parcel(
    django_capture_on_commit_callbacks,
):
    store_policy()
    order = delivered_order()
    with django_capture_on_commit_callbacks(execute=True):
        # damaged: kept when worth at most 25; needs a photo.
        from tests.returns.lifecycle_builders import photo

        line = order.lines.get(sku="CAP")
        r = request(
            order,
            wanted(order, "CAP", 1, reason="damaged", photo_count=1),
            photos={line.pk: [photo()]},
        )
    r.refresh_from_db()
    assert r.is_keep_it
    assert (r.status, r.refunded_amount) == (S.REFUNDED, D("20.00"))
    assert payment_refunded(order) == D("20.00")


@pytest.mark.django_db
def test_store_credit_return_credits_the_customer_with_the_bonus_and_no_gateway_refund(
    django_capture_on_commit_callbacks,
):
    store_policy(store_credit_bonus_percent=D("10"))
    order = delivered_order()
    r = request(order, wanted(order, "TEE-M", 2), resolution="store_credit")
    assert (r.bonus_amount, r.estimated_total) == (D("4.00"), D("44.00"))

    with django_capture_on_commit_callbacks(execute=True):
        r = receive(r, 1)
    r.refresh_from_db()
    assert (r.status, r.credited_amount, r.refunded_amount) == (S.RECEIVED, D("22.00"), 0)

    with django_capture_on_commit_callbacks(execute=True):
        r = receive(r, 1)
    r.refresh_from_db()
    assert (r.status, r.credited_amount) == (S.CREDITED, D("44.00"))
    assert selectors.balance(order.customer, "USD") == D("44.00")
    kinds = sorted(StoreCreditEntry.objects.values_list("kind", "amount"))
    assert kinds == [
        ("bonus", D("2.00")),
        ("bonus", D("2.00")),
        ("refund", D("20.00")),
        ("refund", D("20.00")),
    ]
    assert payment_refunded(order) == 0
    assert order.refunded_for_returns == 0
    assert OutboxMessage.objects.filter(event_type="return.credited").count() == 2

    refunds.release_refund(return_request=r, actor=ACTOR)
    assert selectors.balance(order.customer, "USD") == D("44.00")


@pytest.mark.django_db
def test_a_refund_never_exceeds_what_the_order_still_has_captured(
    django_capture_on_commit_callbacks,
):
    store_policy()
    order = delivered_order()  # 65.00 captured
    r = request(order, wanted(order, "TEE-M", 2), wanted(order, "CAP", 1))
    with django_capture_on_commit_callbacks(execute=True):
        adjustments.apply_price_adjustment(
            order=order, amount="50.00", reason_code="price_match", note="price match", actor=ACTOR
        )
    order.refresh_from_db()
    assert payment_refunded(order) == D("50.00")

    with django_capture_on_commit_callbacks(execute=True):
        r = receive(r, 2, 1)
    r.refresh_from_db()
    order.refresh_from_db()
    assert r.refunded_amount == D("15.00")  # what was left of the 65.00
    assert payment_refunded(order) == D("65.00") == refunded_at_gateway(order)
    event = ReturnEvent.objects.filter(type=ReturnEvent.Type.REFUNDED).get()
    assert event.data["not_refundable"] == "45.00"


@pytest.mark.django_db
def test_nothing_received_is_a_no_op():
    store_policy()
    order = delivered_order()
    r = request(order, wanted(order, "TEE-M", 2))
    before = ReturnEvent.objects.count()

    r = refunds.release_refund(return_request=r, actor=ACTOR)

    assert (r.status, r.refunded_amount) == (S.APPROVED, 0)
    assert ReturnEvent.objects.count() == before
    assert not ReturnRefund.objects.exists()


# --- staff refunds of an amount -------------------------------------------------------------


@pytest.mark.django_db
def test_staff_refund_of_an_amount_is_idempotent_by_reference(
    django_capture_on_commit_callbacks,
):
    store_policy()
    order = delivered_order()
    r = request(order, wanted(order, "TEE-M", 2), wanted(order, "CAP", 1))

    with django_capture_on_commit_callbacks(execute=True):
        first = refunds.refund_return_amount(
            return_request=r, amount="39.00", actor=ACTOR, reason="60 %", idempotency_reference="k1"
        )
    with django_capture_on_commit_callbacks(execute=True):
        again = refunds.refund_return_amount(
            return_request=r, amount="39", actor=ACTOR, reason="60 %", idempotency_reference="k1"
        )

    assert again.pk == first.pk
    r.refresh_from_db()
    assert (r.status, r.refunded_amount) == (S.APPROVED, D("39.00"))
    assert payment_refunded(order) == D("39.00") == refunded_at_gateway(order)
    with pytest.raises(Conflict) as error:
        refunds.refund_return_amount(
            return_request=r, amount="10", actor=ACTOR, reason="x", idempotency_reference="k1"
        )
    assert error.value.code == "refund_reference_reused"
    assert error.value.extra["amount"] == "39.00"
    staff = ReturnEvent.objects.get(type=ReturnEvent.Type.REFUNDED)
    assert (staff.data["refunded_total"], staff.data["credited_total"]) == ("39.00", "0.00")


@pytest.mark.django_db
def test_staff_refund_over_the_bounds_is_refused_and_writes_nothing(
    django_capture_on_commit_callbacks,
):
    store_policy()
    order = delivered_order()
    r = request(order, wanted(order, "TEE-M", 2), wanted(order, "CAP", 1))  # estimate 60.00
    with django_capture_on_commit_callbacks(execute=True):
        refunds.refund_return_amount(
            return_request=r, amount="39.00", actor=ACTOR, reason="x", idempotency_reference="a"
        )
    events_before = ReturnEvent.objects.count()

    with pytest.raises(Conflict) as error:
        refunds.refund_return_amount(
            return_request=r, amount="21.01", actor=ACTOR, reason="x", idempotency_reference="b"
        )
    assert error.value.code == "refund_exceeds_return"
    assert error.value.extra["limit"] == "21.00"  # a string in cents, never a float in JSON
    assert "21.00 USD" in error.value.message
    assert "21.000" not in error.value.message
    for bad in ("0", "-1", "1.001", "abc"):
        with pytest.raises(ValidationFailed):
            refunds.refund_return_amount(
                return_request=r, amount=bad, actor=ACTOR, reason="x", idempotency_reference="c"
            )
    with pytest.raises(ValidationFailed):
        refunds.refund_return_amount(
            return_request=r, amount="1", actor=ACTOR, reason="x", idempotency_reference=""
        )

    assert ReturnRefund.objects.count() == 1
    assert ReturnEvent.objects.count() == events_before
    order.refresh_from_db()
    assert order.refunded_for_returns == D("39.00")
    assert payment_refunded(order) == D("39.00")


@pytest.mark.django_db
def test_staff_refund_beyond_what_is_captured_is_a_conflict(django_capture_on_commit_callbacks):
    store_policy()
    order = delivered_order()
    r = request(order, wanted(order, "TEE-M", 2), wanted(order, "CAP", 1))
    with django_capture_on_commit_callbacks(execute=True):
        adjustments.apply_price_adjustment(
            order=order, amount="30.00", reason_code="price_match", note="price match", actor=ACTOR
        )

    with pytest.raises(Conflict) as error:
        refunds.refund_return_amount(
            return_request=r, amount="40.00", actor=ACTOR, reason="x", idempotency_reference="a"
        )

    assert error.value.code == "refund_exceeds_captured"
    assert error.value.extra["limit"] == "35.00"
    assert "35.00 USD" in error.value.message
    assert not ReturnRefund.objects.exists()


@pytest.mark.django_db
def test_staff_refund_counts_against_what_receipt_releases_later(
    django_capture_on_commit_callbacks,
):
    store_policy()
    order = delivered_order()
    r = request(order, wanted(order, "TEE-M", 2))
    with django_capture_on_commit_callbacks(execute=True):
        refunds.refund_return_amount(
            return_request=r, amount="30.00", actor=ACTOR, reason="x", idempotency_reference="a"
        )

    with django_capture_on_commit_callbacks(execute=True):
        r = receive(r, 2)
    r.refresh_from_db()
    assert (r.status, r.refunded_amount) == (S.REFUNDED, D("40.00"))
    assert payment_refunded(order) == D("40.00") == refunded_at_gateway(order)


@pytest.mark.django_db
def test_a_cancelled_return_refunds_nothing():
    store_policy()
    order = delivered_order()
    r = request(order, wanted(order, "TEE-M", 2))
    transitions.cancel_return(return_request=r, actor=ACTOR)

    with pytest.raises(InvalidTransition):
        refunds.refund_return_amount(
            return_request=r, amount="5", actor=ACTOR, reason="x", idempotency_reference="a"
        )
    refunds.release_refund(return_request=r, actor=ACTOR)

    assert not ReturnRefund.objects.exists()
    assert Order.objects.get(pk=order.pk).refunded_for_returns == 0


@pytest.mark.django_db
def test_refundable_amount_counts_promised_refunds_not_yet_executed():
    store_policy()
    order = delivered_order()
    r = request(order, wanted(order, "TEE-M", 2))
    assert refunds.refundable_amount(order) == D("65.00")

    refunds.refund_return_amount(  # no commit: the gateway call has not happened yet
        return_request=r, amount="30.00", actor=ACTOR, reason="x", idempotency_reference="a"
    )

    order.refresh_from_db()
    assert payment_refunded(order) == 0
    assert refunds.refundable_amount(order) == D("35.00")
    assert timezone.now() - r.created_at < timedelta(minutes=5)


@pytest.mark.django_db
def test_a_staff_refund_leaves_no_room_for_a_bonus_beyond_the_estimate(
    django_capture_on_commit_callbacks,
):
    # Found by the state machine: a store-credit return refunded in full by staff must not
    # add its bonus on receipt (refunded + credited never exceed the estimate).
    store_policy(store_credit_bonus_percent=D("10"))
    order = delivered_order()
    r = request(order, wanted(order, "TEE-M", 1), resolution="store_credit")
    assert r.estimated_total == D("22.00")
    with django_capture_on_commit_callbacks(execute=True):
        refunds.refund_return_amount(
            return_request=r, amount="22.00", actor=ACTOR, reason="x", idempotency_reference="a"
        )

    with django_capture_on_commit_callbacks(execute=True):
        r = receive(r, 1)

    r.refresh_from_db()
    assert (r.refunded_amount, r.credited_amount, r.status) == (D("22.00"), 0, S.CREDITED)
    assert selectors.balance(order.customer, "USD") == 0


@pytest.mark.django_db
def test_store_credit_for_a_return_tells_the_customer_once_with_the_new_balance(
    django_capture_on_commit_callbacks,
):
    store_policy()
    order = delivered_order()
    r = request(order, wanted(order, "CAP", 1), resolution="store_credit")

    with django_capture_on_commit_callbacks(execute=True):
        receive(r, 1)

    messages = OutboxMessage.objects.filter(
        event_type__in=["return.credited", "store_credit.issued"]
    )
    assert [m.event_type for m in messages] == ["return.credited"]
    event = messages.get().payload["event"]
    assert (event["amount"], event["balance"]) == ("20.00", "20.00")
    entry = StoreCreditEntry.objects.get()
    assert (entry.kind, entry.reference) == ("refund", f"return:{r.rma}:credit:1")
