"""Carrier scans of return labels: the first scan moves an approved return to in transit (and
releases money when the policy says first scan), a delivered scan is not a receipt, repeats
change nothing, and the demo's return carrier moves parcels through the same service."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.utils import timezone

from oms.exceptions import NotFound, ValidationFailed
from returns.models import ReturnEvent, ReturnStatus
from returns.services import receiving, transitions
from tests.returns.lifecycle_builders import (
    ACTOR,
    assert_step,
    delivered_order,
    notified,
    request,
    return_marks,
    steps,
    store_policy,
    wanted,
)

S = ReturnStatus
WHEN = datetime(2026, 11, 22, 9, 30, tzinfo=UTC)


@pytest.fixture(autouse=True)
def policy(db):
    return store_policy()


def approved(**policy_overrides):
    if policy_overrides:
        store_policy(**policy_overrides)
    order = delivered_order()
    return request(order, wanted(order, "TEE-M", 2))


def scan(r, status="picked_up", event_id="e1", occurred_at=WHEN, tracking_number=None):
    return receiving.record_return_scan(
        tracking_number=tracking_number or r.tracking_number,
        status=status,
        occurred_at=occurred_at,
        actor=ACTOR,
        carrier_event_id=event_id,
        location="Hub",
    )


def test_the_first_scan_puts_the_return_in_transit():
    r = approved()

    r = scan(r)

    assert r.status == S.IN_TRANSIT
    assert r.shipped_at == WHEN
    assert_step(r, ReturnEvent.Type.IN_TRANSIT, "return.in_transit")
    event = r.events.get(type="in_transit")
    assert event.data["carrier_status"] == "picked_up"
    assert event.data["location"] == "Hub"


def test_a_repeated_scan_changes_nothing():
    r = scan(approved())
    marks = return_marks()

    again = scan(r)

    assert again.status == S.IN_TRANSIT
    assert return_marks() == marks


def test_a_scan_without_an_event_id_is_recognised_by_its_status_and_time():
    r = scan(approved(), event_id="")
    marks = return_marks()

    scan(r, event_id="")

    assert return_marks() == marks


def test_later_scans_join_the_timeline_without_notifying_again():
    r = scan(approved())

    scan(r, "in_transit", "e2", WHEN + timedelta(hours=5))
    r = scan(r, "delivered", "e3", WHEN + timedelta(days=1))

    assert r.status == S.IN_TRANSIT  # at the warehouse's door, not received
    assert r.received_at is None
    assert steps(r)[-3:] == ["in_transit", "in_transit", "in_transit"]
    assert notified(r).count("return.in_transit") == 1
    assert r.shipped_at == WHEN


def test_a_delivered_scan_alone_is_not_a_receipt():
    r = scan(approved(), "delivered")

    assert r.status == S.IN_TRANSIT
    assert r.received_at is None
    assert r.lines.get().quantity_received == 0
    assert r.order.lines.get(sku="TEE-M").quantity_returned == 0


def test_a_label_printed_scan_does_not_put_the_parcel_in_transit():
    r = scan(approved(), "label_created")

    assert r.status == S.APPROVED
    assert notified(r).count("return.in_transit") == 0


def test_the_tracking_number_is_matched_in_any_case():
    r = approved()

    r = scan(r, tracking_number=f"  {r.tracking_number.lower()} ")

    assert r.status == S.IN_TRANSIT


def test_an_unknown_tracking_number_is_refused_without_side_effects():
    approved()
    marks = return_marks()

    with pytest.raises(NotFound) as refused:
        receiving.record_return_scan(
            tracking_number="RP000", status="picked_up", occurred_at=WHEN, actor=ACTOR
        )

    assert refused.value.code == "return_not_found"
    assert return_marks() == marks


def test_a_scan_with_an_unknown_status_or_a_naive_time_is_refused():
    r = approved()
    marks = return_marks()

    with pytest.raises(ValidationFailed) as refused:
        receiving.record_return_scan(
            tracking_number=r.tracking_number,
            status="teleported",
            occurred_at=datetime(2026, 11, 22, 9, 30),
            actor=ACTOR,
        )

    assert {e["field"] for e in refused.value.errors} == {"status", "occurred_at"}
    assert return_marks() == marks


def test_a_scan_of_a_cancelled_return_is_kept_but_moves_nothing():
    r = approved()
    transitions.cancel_return(return_request=r, actor=ACTOR)

    r = scan(r)

    assert r.status == S.CANCELLED
    assert notified(r).count("return.in_transit") == 0


def test_money_released_on_the_first_scan_goes_back_when_the_carrier_has_the_parcel():
    r = approved(refund_release="first_scan")
    assert r.refund_release == "first_scan"

    r = scan(r)

    assert r.status == S.IN_TRANSIT  # the money went back; the parcel is still coming
    assert r.refunded_amount == Decimal("40.00")
    assert_step(r, ReturnEvent.Type.REFUNDED, "return.refunded")


def test_money_released_on_receipt_stays_until_the_warehouse_has_it():
    r = scan(approved())

    assert r.refunded_amount == 0
    assert notified(r).count("return.refunded") == 0


def test_the_return_carrier_simulator_picks_up_approved_parcels():
    r = approved()
    waiting = request(r.order, wanted(r.order, "CAP", 1, "other"))  # no label yet

    call_command("simulate_return_carriers", "--once", "--force", "--per-tick", "5", "--seed", "1")

    r.refresh_from_db()
    waiting.refresh_from_db()
    assert r.status == S.IN_TRANSIT
    assert r.shipped_at <= timezone.now()
    assert waiting.status == S.REQUESTED


def test_the_simulator_stops_at_the_warehouse_door():
    r = approved()

    for _ in range(5):
        call_command("simulate_return_carriers", "--once", "--force", "--seed", "1")

    r.refresh_from_db()
    assert r.status == S.IN_TRANSIT
    statuses = [e.data["carrier_status"] for e in r.events.filter(type="in_transit")]
    assert statuses == ["picked_up", "in_transit", "delivered"]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_same_scan_posted_twice_at_once_is_recorded_once():
    import threading

    from django.db import connection

    store_policy()
    r = approved()
    barrier = threading.Barrier(4, timeout=30)
    errors: list = []

    def post() -> None:
        try:
            barrier.wait()
            scan(r, event_id="same")
        except Exception as exc:  # noqa: BLE001 - any error fails the assertion below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=post) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    r.refresh_from_db()
    assert r.status == S.IN_TRANSIT
    assert r.events.filter(type="in_transit").count() == 1
    assert notified(r).count("return.in_transit") == 1
