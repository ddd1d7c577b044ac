"""Requesting a return: the policy decides under the order lock, a refusal writes nothing, the
estimate's figures are kept, auto-approval or the review queue, the withdrawal acknowledgement,
keep-it returns, photos, retries by reference, and two requests racing for the last unit."""

import threading
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone

from notifications.models import Delivery, OutboxMessage
from notifications.routing import plan_deliveries
from oms.exceptions import Conflict, ValidationFailed
from returns.models import (
    RefundRelease,
    RequestedVia,
    Resolution,
    ReturnEvent,
    ReturnPhoto,
    ReturnRequest,
    ReturnStatus,
)
from tests.returns.lifecycle_builders import (
    ACTOR,
    PNG,
    assert_step,
    delivered_order,
    line_of,
    notified,
    photo,
    request,
    return_marks,
    steps,
    store_policy,
    wanted,
)

S = ReturnStatus
D = Decimal


@pytest.fixture(autouse=True)
def policy(db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return store_policy()


def test_a_request_the_policy_allows_is_approved_at_once_with_a_label():
    order = delivered_order()
    before = timezone.now()

    r = request(order, wanted(order, "TEE-M", 1))

    assert r.status == S.APPROVED
    assert r.rma == f"R{order.number}-1"
    assert r.carrier == "returns-post"
    assert r.tracking_number.startswith("RP")
    assert r.approved_at >= before
    assert before + timedelta(days=14) <= r.expires_at <= timezone.now() + timedelta(days=14)
    assert r.customer_id == order.customer_id
    assert r.requested_via == RequestedVia.PORTAL
    assert r.refund_release == RefundRelease.RECEIPT
    assert r.warehouse.code == "EAST"
    assert steps(r) == ["requested", "approved", "label_created"]
    assert notified(r) == ["return.requested", "return.approved"]
    assert_step(r, ReturnEvent.Type.REQUESTED, "return.requested")
    assert_step(r, ReturnEvent.Type.APPROVED, "return.approved")
    assert_step(r, ReturnEvent.Type.LABEL_CREATED)
    approved = r.events.get(type=ReturnEvent.Type.APPROVED)
    assert approved.actor_label == "return-policy"


def test_the_customer_gets_one_email_for_a_request_approved_at_once_and_one_while_in_review():
    order = delivered_order()

    approved = request(order, wanted(order, "TEE-M", 1))
    reviewed = request(order, wanted(order, "CAP", 1, "other"))

    def emailed(r) -> list[str]:
        messages = OutboxMessage.objects.filter(aggregate_id=r.rma).order_by("pk")
        return [
            m.event_type
            for m in messages
            if any(d.channel == Delivery.Channel.EMAIL for d in plan_deliveries(m))
        ]

    assert emailed(approved) == ["return.approved"]  # the label, not two emails at once
    assert emailed(reviewed) == ["return.requested"]


def test_the_return_keeps_the_estimate_it_was_requested_with():
    order = delivered_order()

    r = request(order, wanted(order, "TEE-M", 2, "no_longer_wanted", comment="too big"))

    line = r.lines.get()
    assert (line.quantity, line.reason, line.comment) == (2, "no_longer_wanted", "too big")
    assert line.unit_amount == D("20.00")
    assert line.restocking_fee == D("4.00")  # 10 % of 40.00
    assert r.items_amount == D("40.00")
    assert r.restocking_fee == D("4.00")
    assert r.estimated_total == D("36.00")
    assert r.currency == "USD"
    assert r.resolution == Resolution.REFUND


def test_a_reason_that_needs_review_waits_in_the_queue():
    order = delivered_order()

    r = request(order, wanted(order, "CAP", 1, "other", comment="see note"), note="please")

    assert r.status == S.REQUESTED
    assert r.tracking_number == "" and r.approved_at is None and r.expires_at is None
    assert r.customer_note == "please"
    assert steps(r) == ["requested"]
    assert notified(r) == ["return.requested"]


def test_a_refused_request_writes_nothing_and_says_why_per_field():
    order = delivered_order()
    before = return_marks()

    with pytest.raises(ValidationFailed) as refused:
        request(order, wanted(order, "TEE-M", 3))

    assert refused.value.code == "return_not_allowed"
    assert refused.value.errors
    assert all({"field", "code", "message"} <= set(error) for error in refused.value.errors)
    assert any(error["field"].startswith("lines") for error in refused.value.errors)
    assert return_marks() == before


def test_units_in_an_open_return_cannot_be_requested_again():
    order = delivered_order()
    request(order, wanted(order, "TEE-M", 2))
    before = return_marks()

    with pytest.raises(ValidationFailed):
        request(order, wanted(order, "TEE-M", 1))

    assert return_marks() == before
    second = request(order, wanted(order, "CAP", 1))
    assert second.rma == f"R{order.number}-2"


def test_units_of_a_cancelled_return_can_be_requested_again():
    from returns.services import transitions

    order = delivered_order()
    first = request(order, wanted(order, "TEE-M", 2))
    transitions.cancel_return(return_request=first, actor=ACTOR, reason="changed my mind")

    again = request(order, wanted(order, "TEE-M", 2))

    assert again.status == S.APPROVED


def test_an_unknown_channel_is_refused():
    order = delivered_order()
    before = return_marks()

    with pytest.raises(ValidationFailed) as refused:
        request(order, wanted(order, "TEE-M", 1), via="fax")

    assert [e["field"] for e in refused.value.errors] == ["via"]
    assert return_marks() == before


def test_an_instant_exchange_needs_the_exchange_resolution():
    order = delivered_order()
    before = return_marks()

    with pytest.raises(ValidationFailed) as refused:
        request(order, wanted(order, "TEE-M", 1), is_instant_exchange=True)

    assert "instant_exchange_needs_exchange" in {e["code"] for e in refused.value.errors}
    assert return_marks() == before


def test_a_statutory_withdrawal_is_acknowledged_with_the_time_it_was_received():
    order = delivered_order(country="BR")  # CDC art. 49: 7 days from delivery

    r = request(order, wanted(order, "TEE-M", 2, ""), is_withdrawal=True)

    assert r.is_withdrawal
    assert r.lines.get().reason == "withdrawal"
    acknowledgement = r.events.get(type=ReturnEvent.Type.WITHDRAWAL_ACKNOWLEDGED)
    assert acknowledgement.data["received_at"] == r.created_at.isoformat()
    assert_step(r, ReturnEvent.Type.WITHDRAWAL_ACKNOWLEDGED, "return.withdrawal_acknowledged")
    assert notified(r)[:2] == ["return.requested", "return.withdrawal_acknowledged"]
    message_payload = (
        r.order.events.filter(data__step="withdrawal_acknowledged").get().data["received_at"]
    )
    assert message_payload == r.created_at.isoformat()


def test_a_withdrawal_after_the_statutory_period_is_refused_without_side_effects():
    order = delivered_order(country="BR", delivered_days_ago=9)
    before = return_marks()

    with pytest.raises(ValidationFailed) as refused:
        request(order, wanted(order, "TEE-M", 1, ""), is_withdrawal=True)

    assert "is_withdrawal" in {e["field"] for e in refused.value.errors}
    assert return_marks() == before


def test_a_keep_it_return_is_refunded_at_once_without_a_parcel():
    order = delivered_order()

    r = request(
        order, wanted(order, "CAP", 1, "damaged"), photos={line_of(order, "CAP").pk: [photo()]}
    )

    assert r.is_keep_it
    assert r.status == S.REFUNDED
    assert r.tracking_number == "" and r.expires_at is None
    assert r.refunded_amount == D("20.00")
    assert "label_created" not in steps(r)
    assert_step(r, ReturnEvent.Type.REFUNDED, "return.refunded")
    order.refresh_from_db()
    assert order.refunded_for_returns == D("20.00")


def test_photos_are_stored_under_names_of_our_own_with_their_real_type():
    order = delivered_order()
    line_id = line_of(order, "TEE-M").pk

    r = request(
        order,
        wanted(order, "TEE-M", 2, "damaged"),
        photos={line_id: [photo(), photo(PNG, "shot.JPG")]},
    )

    stored = list(ReturnPhoto.objects.filter(line__return_request=r).order_by("id"))
    assert [p.content_type for p in stored] == ["image/jpeg", "image/png"]
    assert stored[1].image.name.endswith(".png")
    name = stored[0].image.name.rsplit("/", 1)[-1]
    assert name.startswith(f"{r.rma}-") and "photo" not in name
    assert stored[0].size == len(photo().read())


def test_a_reason_that_needs_a_photo_is_refused_without_one():
    order = delivered_order()
    before = return_marks()

    with pytest.raises(ValidationFailed) as refused:
        request(order, wanted(order, "TEE-M", 2, "damaged"))

    assert "photo_required" in {e["code"] for e in refused.value.errors}
    assert return_marks() == before


def test_a_file_that_is_not_a_photo_is_refused_and_nothing_is_written():
    order = delivered_order()
    line_id = line_of(order, "TEE-M").pk
    before = return_marks()

    with pytest.raises(ValidationFailed) as refused:
        request(
            order,
            wanted(order, "TEE-M", 2, "damaged"),
            photos={line_id: [photo(b"%PDF-1.7 not a photo", "photo.jpg")]},
        )

    assert ("lines[0].photos", "photo_type_not_allowed") in {
        (e["field"], e["code"]) for e in refused.value.errors
    }
    assert return_marks() == before


def test_too_many_or_too_large_photos_are_refused(settings):
    settings.OMS_RETURN_PHOTOS_PER_LINE = 1
    settings.OMS_RETURN_PHOTO_MAX_BYTES = 40
    order = delivered_order()
    line_id = line_of(order, "TEE-M").pk
    before = return_marks()

    with pytest.raises(ValidationFailed) as refused:
        request(order, wanted(order, "TEE-M", 2, "damaged"), photos={line_id: [photo(), photo()]})

    codes = {e["code"] for e in refused.value.errors}
    assert {"too_many_photos", "photo_too_large"} <= codes
    assert return_marks() == before


def test_photos_for_a_line_not_being_returned_are_refused():
    order = delivered_order()
    before = return_marks()

    with pytest.raises(ValidationFailed) as refused:
        request(
            order,
            wanted(order, "TEE-M", 1),
            photos={line_of(order, "CAP").pk: [photo()]},
        )

    assert ("photos", "unknown_line") in {(e["field"], e["code"]) for e in refused.value.errors}
    assert return_marks() == before


def test_a_retry_with_the_same_reference_answers_with_the_same_return():
    order = delivered_order()
    first = request(order, wanted(order, "TEE-M", 1), idempotency_reference="portal:abc")
    marks = return_marks()

    again = request(order, wanted(order, "TEE-M", 1), idempotency_reference="portal:abc")

    assert again.pk == first.pk
    assert return_marks() == marks


def test_a_reference_used_for_another_order_is_refused():
    order = delivered_order()
    request(order, wanted(order, "TEE-M", 1), idempotency_reference="api:1:key")
    other = delivered_order((("SOCK", 1),), warehouse_code="EAST")
    marks = return_marks()

    with pytest.raises(Conflict) as refused:
        request(other, wanted(other, "SOCK", 1), idempotency_reference="api:1:key")

    assert refused.value.code == "idempotency_reference_reused"
    assert return_marks() == marks


def test_the_requester_is_recorded_as_the_actor():
    order = delivered_order()

    r = request(order, wanted(order, "TEE-M", 1), actor=ACTOR, via=RequestedVia.API)

    assert (r.actor_kind, r.actor_label) == ("system", "tests")
    assert r.events.get(type="requested").actor_label == "tests"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_requests_racing_for_the_last_unit_exactly_one_succeeds():
    store_policy()
    order = delivered_order((("SOLO", 1),))
    line_id = line_of(order, "SOLO").pk
    barrier = threading.Barrier(2, timeout=30)
    results: list = [None, None]

    def racer(index: int) -> None:
        try:
            barrier.wait()
            results[index] = request(
                order, wanted(order, "SOLO", 1), idempotency_reference=f"race:{index}"
            )
        except Exception as exc:  # noqa: BLE001 - the loser's error is the result to check
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=racer, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    won = [r for r in results if isinstance(r, ReturnRequest)]
    lost = [r for r in results if not isinstance(r, ReturnRequest)]
    assert len(won) == 1, results
    assert len(lost) == 1 and isinstance(lost[0], ValidationFailed), results
    assert ReturnRequest.objects.filter(order=order).count() == 1
    assert sum(r.lines.get().quantity for r in ReturnRequest.objects.all()) == 1
    assert line_id == won[0].lines.get().order_line_id
