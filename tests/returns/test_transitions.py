"""Approving, rejecting, cancelling and closing returns: each checks the transition table,
refuses with a stable code and no side effects, writes the return event, the order event and
the outbox message, and does nothing when repeated."""

from datetime import timedelta

import pytest
from django.utils import timezone

from oms.actors import Actor
from oms.exceptions import InvalidTransition, ValidationFailed
from returns.models import ReturnEvent, ReturnStatus
from returns.services import receiving, transitions
from tests.returns.lifecycle_builders import (
    ACTOR,
    CUSTOMER,
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
REP = Actor(kind="staff", label="rita")


@pytest.fixture(autouse=True)
def policy(db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return store_policy()


def pending_review():
    order = delivered_order()
    return request(order, wanted(order, "TEE-M", 2, "other"))


def approved():
    order = delivered_order()
    return request(order, wanted(order, "TEE-M", 2))


def test_a_rep_approves_a_return_in_review_and_the_label_is_created():
    r = pending_review()
    before = timezone.now()

    r = transitions.approve_return(return_request=r, actor=REP, reason="photos look fine")

    assert r.status == S.APPROVED
    assert r.approved_at >= before
    assert r.decision_reason == "photos look fine"
    assert r.carrier == "returns-post" and r.tracking_number.startswith("RP")
    assert r.expires_at - r.approved_at == timedelta(days=14)
    assert steps(r) == ["requested", "approved", "label_created"]
    assert_step(r, ReturnEvent.Type.APPROVED, "return.approved")
    assert_step(r, ReturnEvent.Type.LABEL_CREATED)
    assert r.events.get(type="approved").actor_label == "rita"


def test_the_deadline_to_ship_follows_the_policy_the_return_was_requested_under():
    store_policy(ship_within_days=5)
    r = pending_review()

    r = transitions.approve_return(return_request=r, actor=REP)

    assert r.expires_at - r.approved_at == timedelta(days=5)


def test_approving_twice_changes_nothing_the_second_time():
    r = transitions.approve_return(return_request=pending_review(), actor=REP)
    marks = return_marks()

    again = transitions.approve_return(return_request=r, actor=REP)

    assert again.tracking_number == r.tracking_number
    assert return_marks() == marks


def test_a_rejected_return_cannot_be_approved_and_nothing_changes():
    r = transitions.reject_return(return_request=pending_review(), actor=REP, reason="worn")
    marks = return_marks()

    with pytest.raises(InvalidTransition) as refused:
        transitions.approve_return(return_request=r, actor=REP)

    assert refused.value.code == "return_not_approvable"
    assert return_marks() == marks


def test_rejecting_tells_the_customer_why():
    r = pending_review()

    r = transitions.reject_return(return_request=r, actor=REP, reason="  item was worn  ")

    assert r.status == S.REJECTED
    assert r.decision_reason == "item was worn"
    assert r.tracking_number == ""
    assert_step(r, ReturnEvent.Type.REJECTED, "return.rejected")
    assert r.events.get(type="rejected").reason == "item was worn"


def test_rejecting_without_a_reason_is_refused_and_nothing_changes():
    r = pending_review()
    marks = return_marks()

    with pytest.raises(ValidationFailed) as refused:
        transitions.reject_return(return_request=r, actor=REP, reason=" ")

    assert refused.value.code == "reason_required"
    r.refresh_from_db()
    assert r.status == S.REQUESTED
    assert return_marks() == marks


def test_rejecting_twice_changes_nothing_the_second_time():
    r = transitions.reject_return(return_request=pending_review(), actor=REP, reason="worn")
    marks = return_marks()

    transitions.reject_return(return_request=r, actor=REP, reason="worn")

    assert return_marks() == marks


def test_an_approved_return_cannot_be_rejected():
    r = approved()
    marks = return_marks()

    with pytest.raises(InvalidTransition) as refused:
        transitions.reject_return(return_request=r, actor=REP, reason="late")

    assert refused.value.code == "return_not_rejectable"
    assert return_marks() == marks


@pytest.mark.parametrize("make", [pending_review, approved])
def test_the_customer_cancels_before_the_parcel_ships(make):
    r = make()

    r = transitions.cancel_return(return_request=r, actor=CUSTOMER, reason="kept it")

    assert r.status == S.CANCELLED
    assert_step(r, ReturnEvent.Type.CANCELLED, "return.cancelled")
    assert r.events.get(type="cancelled").actor_kind == "customer"


def test_a_return_on_its_way_cannot_be_cancelled():
    r = approved()
    receiving.record_return_scan(
        tracking_number=r.tracking_number,
        status="picked_up",
        occurred_at=timezone.now(),
        actor=ACTOR,
        carrier_event_id="p1",
    )
    marks = return_marks()

    with pytest.raises(InvalidTransition) as refused:
        transitions.cancel_return(return_request=r, actor=CUSTOMER)

    assert refused.value.code == "return_not_cancellable"
    r.refresh_from_db()
    assert r.status == S.IN_TRANSIT
    assert return_marks() == marks


def test_cancelling_twice_changes_nothing_the_second_time():
    r = transitions.cancel_return(return_request=approved(), actor=CUSTOMER)
    marks = return_marks()

    transitions.cancel_return(return_request=r, actor=CUSTOMER)

    assert return_marks() == marks
    assert notified(r).count("return.cancelled") == 1


def test_a_resolved_return_is_closed_once():
    order = delivered_order()
    r = request(
        order,
        wanted(order, "CAP", 1, "damaged"),
        photos={line_of(order, "CAP").pk: [photo()]},
    )  # keep it: refunded at once
    assert r.status == S.REFUNDED

    r = transitions.close_return(return_request=r, actor=REP, reason="done")
    marks = return_marks()
    again = transitions.close_return(return_request=r, actor=REP)

    assert again.status == S.CLOSED and again.closed_at is not None
    assert_step(r, ReturnEvent.Type.CLOSED, "return.closed")
    assert return_marks() == marks


def test_an_open_return_cannot_be_closed():
    r = approved()
    marks = return_marks()

    with pytest.raises(InvalidTransition) as refused:
        transitions.close_return(return_request=r, actor=REP)

    assert refused.value.code == "return_not_closable"
    assert refused.value.extra == {"current_status": "approved", "target": "closed"}
    assert return_marks() == marks


def test_a_stale_instance_is_checked_against_the_database():
    r = approved()
    stale = type(r).objects.get(pk=r.pk)
    transitions.cancel_return(return_request=r, actor=CUSTOMER)

    with pytest.raises(InvalidTransition):
        transitions.approve_return(return_request=stale, actor=REP)


# --- instant exchanges: the replacement ships at approval, its hold ends with the return ------


@pytest.fixture
def instant_exchange_order():
    """A delivered order of TEE-M whose customer has a saved card, and TEE-L in stock."""
    from orders.models import SavedPaymentMethod
    from tests.factories import StockFactory, VariantFactory

    order = delivered_order()
    tee_m = line_of(order, "TEE-M").variant
    tee_l = VariantFactory(product=tee_m.product, sku="TEE-L", price=tee_m.price)
    StockFactory(variant=tee_l, warehouse=order.shipments.first().warehouse, on_hand=3)
    SavedPaymentMethod.objects.create(
        customer=order.customer,
        gateway="sandbox",
        token="tok_4242424242424242",
        label="Visa •••• 4242",
        is_default=True,
    )
    return order, tee_l


def request_instant_exchange(order, tee_l, reason="size_too_small"):
    from returns.models import Resolution

    return request(
        order,
        wanted(order, "TEE-M", 1, reason, exchange_variant_id=tee_l.pk),
        resolution=Resolution.EXCHANGE,
        is_instant_exchange=True,
    )


def hold_of(r):
    from orders.services import payments
    from returns.services import exchanges

    r.refresh_from_db()
    return payments.find_hold(r.exchange_order, exchanges.hold_reference(r))


def test_an_approved_instant_exchange_places_the_replacement_at_once(
    instant_exchange_order, django_capture_on_commit_callbacks
):
    order, tee_l = instant_exchange_order

    with django_capture_on_commit_callbacks(execute=True):
        r = request_instant_exchange(order, tee_l)

    assert r.status == S.APPROVED and r.is_instant_exchange
    assert r.exchange_order is not None
    assert r.exchange_order.channel == "exchange"
    assert r.exchange_order.original_order_id == order.pk
    assert r.exchange_order.lines.get().sku == "TEE-L"
    assert hold_of(r).status == "authorized"


def test_an_instant_exchange_waiting_for_review_is_placed_when_a_rep_approves(
    instant_exchange_order, django_capture_on_commit_callbacks
):
    order, tee_l = instant_exchange_order
    r = request_instant_exchange(order, tee_l, reason="other")
    assert r.status == S.REQUESTED and r.exchange_order_id is None

    with django_capture_on_commit_callbacks(execute=True):
        r = transitions.approve_return(return_request=r, actor=REP)

    assert r.exchange_order_id is not None


def test_cancelling_an_instant_exchange_captures_its_hold(
    instant_exchange_order, django_capture_on_commit_callbacks
):
    order, tee_l = instant_exchange_order
    with django_capture_on_commit_callbacks(execute=True):
        r = request_instant_exchange(order, tee_l)

    with django_capture_on_commit_callbacks(execute=True):
        transitions.cancel_return(return_request=r, actor=CUSTOMER, reason="kept both")

    assert hold_of(r).status == "captured"


def test_receiving_an_instant_exchange_releases_its_hold(
    instant_exchange_order, django_capture_on_commit_callbacks
):
    order, tee_l = instant_exchange_order
    with django_capture_on_commit_callbacks(execute=True):
        r = request_instant_exchange(order, tee_l)
    line = r.lines.get()

    with django_capture_on_commit_callbacks(execute=True):
        receiving.receive_return(return_request=r, lines=[(line.pk, 1, "as_new")], actor=REP)

    assert hold_of(r).status == "voided"


def test_an_instant_exchange_out_of_stock_is_approved_as_a_normal_exchange(
    instant_exchange_order,
):
    from orders.models import Stock

    order, tee_l = instant_exchange_order
    r = request_instant_exchange(order, tee_l, reason="other")
    Stock.objects.filter(variant=tee_l).update(on_hand=0)

    r = transitions.approve_return(return_request=r, actor=REP)

    assert r.status == S.APPROVED
    assert r.exchange_order_id is None and not r.is_instant_exchange
    note = r.events.get(type=ReturnEvent.Type.NOTE)
    assert note.reason == "instant_exchange_not_placed"
    assert note.data["code"] == "insufficient_stock"
