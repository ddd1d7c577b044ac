"""Approved returns never handed to the carrier expire after the policy's ship-within days: a
set-based sweep, each return checked again under its lock, once only, on beat every hour."""

from datetime import timedelta

import pytest
from django.conf import settings as django_settings
from django.utils import timezone

from returns import tasks
from returns.models import ReturnEvent, ReturnStatus
from returns.services import receiving, transitions
from tests.returns.lifecycle_builders import (
    ACTOR,
    assert_step,
    delivered_order,
    notified,
    request,
    return_marks,
    store_policy,
    wanted,
)

S = ReturnStatus


@pytest.fixture(autouse=True)
def policy(db):
    return store_policy()


def approved(sku="TEE-M"):
    order = delivered_order(((sku, 1),), warehouse_code="EAST")
    return request(order, wanted(order, sku, 1))


def test_an_approved_return_not_shipped_by_its_deadline_expires():
    r = approved()

    count = transitions.expire_returns(now=r.expires_at + timedelta(seconds=1))

    r.refresh_from_db()
    assert count == 1
    assert r.status == S.EXPIRED
    assert_step(r, ReturnEvent.Type.EXPIRED, "return.expired")
    assert r.events.get(type="expired").actor_label == "return-expiry"


def test_a_return_still_within_its_deadline_does_not_expire():
    r = approved()
    marks = return_marks()

    assert transitions.expire_returns(now=r.expires_at - timedelta(seconds=1)) == 0

    r.refresh_from_db()
    assert r.status == S.APPROVED
    assert return_marks() == marks


def test_a_scanned_return_does_not_expire():
    r = approved()
    receiving.record_return_scan(
        tracking_number=r.tracking_number,
        status="picked_up",
        occurred_at=timezone.now(),
        actor=ACTOR,
        carrier_event_id="p1",
    )

    assert transitions.expire_returns(now=r.expires_at + timedelta(days=1)) == 0

    r.refresh_from_db()
    assert r.status == S.IN_TRANSIT


def test_returns_waiting_for_review_or_cancelled_never_expire():
    order = delivered_order()
    waiting = request(order, wanted(order, "TEE-M", 1, "other"))
    cancelled = transitions.cancel_return(
        return_request=request(order, wanted(order, "CAP", 1)), actor=ACTOR
    )

    assert transitions.expire_returns(now=timezone.now() + timedelta(days=365)) == 0

    waiting.refresh_from_db()
    cancelled.refresh_from_db()
    assert (waiting.status, cancelled.status) == (S.REQUESTED, S.CANCELLED)


def test_running_the_sweep_twice_expires_once():
    first, second = approved("A"), approved("B")
    later = max(first.expires_at, second.expires_at) + timedelta(seconds=1)

    assert transitions.expire_returns(now=later) == 2
    marks = return_marks()
    assert transitions.expire_returns(now=later) == 0

    assert return_marks() == marks
    assert notified(first).count("return.expired") == 1


def test_the_task_expires_what_is_past_its_deadline():
    r = approved()
    type(r).objects.filter(pk=r.pk).update(expires_at=timezone.now() - timedelta(minutes=1))

    assert tasks.expire_returns.delay().get() == 1

    r.refresh_from_db()
    assert r.status == S.EXPIRED


def test_beat_runs_the_expiry_every_hour():
    entry = django_settings.CELERY_BEAT_SCHEDULE["expire-returns"]

    assert entry["task"] == "returns.tasks.expire_returns"
    assert entry["schedule"] == timedelta(hours=1)


def test_an_expired_instant_exchange_captures_its_hold(django_capture_on_commit_callbacks):
    from orders.models import SavedPaymentMethod
    from orders.services import payments
    from returns.models import Resolution
    from returns.services import exchanges
    from tests.factories import StockFactory, VariantFactory

    order = delivered_order((("TEE-M", 1),))
    tee_m = order.lines.get().variant
    tee_l = VariantFactory(product=tee_m.product, sku="TEE-L", price=tee_m.price)
    StockFactory(variant=tee_l, warehouse=order.shipments.first().warehouse, on_hand=3)
    SavedPaymentMethod.objects.create(
        customer=order.customer, gateway="sandbox", token="tok_4242424242424242", is_default=True
    )
    with django_capture_on_commit_callbacks(execute=True):
        r = request(
            order,
            wanted(order, "TEE-M", 1, exchange_variant_id=tee_l.pk),
            resolution=Resolution.EXCHANGE,
            is_instant_exchange=True,
        )

    with django_capture_on_commit_callbacks(execute=True):
        assert transitions.expire_returns(now=r.expires_at + timedelta(seconds=1)) == 1

    r.refresh_from_db()
    hold = payments.find_hold(r.exchange_order, exchanges.hold_reference(r))
    assert r.status == S.EXPIRED and hold.status == "captured"
