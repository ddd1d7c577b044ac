"""Carrier tracking: the API stores a scan and answers 202, a worker applies it under the order
lock; repeats, late arrivals, unknown parcels and a broker outage all leave things right."""

import logging
from datetime import UTC, datetime, timedelta

import pytest
from django.conf import settings
from django.utils import timezone
from kombu.exceptions import OperationalError

from notifications.models import OutboxMessage
from oms.actors import Actor
from orders import services, tasks
from orders.models import Order, OrderEvent, Shipment, TrackingEvent
from tests.orders.builders import ACTOR, order_input, ship, split_catalog
from tests.orders.test_concurrency import run_concurrently

TRACKING = "/api/v1/tracking-events/"


@pytest.fixture
def shipment(db) -> Shipment:
    """One parcel of a one-line order, handed to UPS as 1Z999."""
    sku = split_catalog()
    order = services.place_order(data=order_input([(sku, 2)]), actor=ACTOR)
    return ship(order.shipments.get(), "1Z999")


def scan(event_id: str = "e1", status: str = "in_transit", hour: int = 9, **changes) -> dict:
    return {
        "carrier": "ups",
        "tracking_number": "1Z999",
        "event_id": event_id,
        "status": status,
        "occurred_at": datetime(2026, 11, 20, hour, tzinfo=UTC).isoformat(),
        "location": "Memphis, TN",
        "description": "Departed carrier facility",
        **changes,
    }


def snapshot() -> dict:
    """What a scan can change."""
    return {
        "scans": list(TrackingEvent.objects.values_list("pk", "applied_at").order_by("pk")),
        "shipments": list(
            Shipment.objects.values_list("pk", "status", "last_tracking_at").order_by("pk")
        ),
        "orders": list(Order.objects.values_list("pk", "status").order_by("pk")),
        "events": OrderEvent.objects.count(),
        "outbox": OutboxMessage.objects.count(),
    }


def test_scan_is_accepted_with_202_stored_then_applied_by_the_worker(
    api, shipment, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = api.post(TRACKING, scan(), format="json")

    assert response.status_code == 202, response.json()
    event = TrackingEvent.objects.get()
    assert response.json() == {
        "id": event.pk,
        "status": "accepted",
        "shipment": shipment.number,
        "carrier": "ups",
        "event_id": "e1",
        "carrier_status": "in_transit",
        "occurred_at": "2026-11-20T09:00:00Z",
        "received_at": response.json()["received_at"],
        "applied_at": None,
    }
    # Stored, attributed to the API client, but nothing moved until the worker runs.
    assert event.applied_at is None
    assert event.actor_kind == "api_client"
    shipment.refresh_from_db()
    assert shipment.status == "shipped"
    assert not OrderEvent.objects.filter(type="tracking").exists()

    for callback in callbacks:  # the commit: the worker's task runs (inline in tests)
        callback()

    event.refresh_from_db()
    shipment.refresh_from_db()
    assert event.applied_at is not None
    assert shipment.status == "in_transit"
    assert shipment.last_tracking_at == datetime(2026, 11, 20, 9, tzinfo=UTC)
    applied = OrderEvent.objects.get(type="tracking")
    assert applied.actor_kind == "api_client"
    assert applied.data["shipment_status"] == "in_transit"
    assert OutboxMessage.objects.filter(event_type="shipment.in_transit").count() == 1


@pytest.mark.django_db(transaction=True)
def test_scan_through_the_api_is_applied_when_the_request_commits(api, shipment):
    response = api.post(TRACKING, scan(status="out_for_delivery"), format="json")

    assert response.status_code == 202
    assert response.json()["status"] == "applied"  # tasks run inline here: already applied
    shipment.refresh_from_db()
    assert shipment.status == "out_for_delivery"


@pytest.mark.django_db(transaction=True)
def test_repeated_scan_answers_200_with_the_stored_scan_and_changes_nothing(api, shipment):
    first = api.post(TRACKING, scan(), format="json")
    before = snapshot()

    repeat = api.post(TRACKING, scan(status="delivered", hour=15), format="json")

    assert repeat.status_code == 200
    assert repeat.json()["id"] == first.json()["id"]
    assert repeat.json()["carrier_status"] == "in_transit"  # the stored scan, not the new body
    assert repeat.json()["status"] == "applied"
    assert snapshot() == before


@pytest.mark.django_db(transaction=True)
def test_scans_arriving_out_of_order_never_move_the_shipment_back(api, shipment):
    assert api.post(TRACKING, scan("e3", "delivered", 15), format="json").status_code == 202
    assert api.post(TRACKING, scan("e1", "in_transit", 9), format="json").status_code == 202
    assert api.post(TRACKING, scan("e2", "out_for_delivery", 11), format="json").status_code == 202

    shipment.refresh_from_db()
    assert shipment.status == "delivered"
    assert shipment.last_tracking_at == datetime(2026, 11, 20, 15, tzinfo=UTC)
    assert Order.objects.get(pk=shipment.order_id).status == "delivered"
    assert not TrackingEvent.objects.filter(applied_at__isnull=True).exists()
    # The late scans are history only: one delivery message, no "in transit" after it.
    assert OutboxMessage.objects.filter(event_type="shipment.delivered").count() == 1
    assert not OutboxMessage.objects.filter(event_type="shipment.in_transit").exists()


def test_worker_applying_scans_in_any_order_ends_in_the_same_place(shipment):
    carrier_actor = Actor.system("ups tracking")
    stored = {}
    for event_id, status, hour in [("a", "in_transit", 9), ("b", "out_for_delivery", 11)]:
        stored[event_id], _ = services.record_tracking_event(
            carrier="ups",
            tracking_number="1Z999",
            carrier_event_id=event_id,
            status=status,
            occurred_at=datetime(2026, 11, 20, hour, tzinfo=UTC),
            actor=carrier_actor,
            apply=False,
        )

    services.apply_tracking_event(event_id=stored["b"].pk)  # the newer scan is applied first
    services.apply_tracking_event(event_id=stored["a"].pk)

    shipment.refresh_from_db()
    assert shipment.status == "out_for_delivery"
    assert OrderEvent.objects.filter(type="tracking", actor_label="ups tracking").count() == 2


def test_applying_a_scan_twice_changes_nothing_the_second_time(shipment):
    event, _ = services.record_tracking_event(
        carrier="ups",
        tracking_number="1Z999",
        carrier_event_id="e1",
        status="delivered",
        occurred_at=datetime(2026, 11, 20, 15, tzinfo=UTC),
        actor=ACTOR,
        apply=False,
    )
    services.apply_tracking_event(event_id=event.pk)
    before = snapshot()

    services.apply_tracking_event(event_id=event.pk)
    tasks.apply_tracking_event(event.pk)

    assert snapshot() == before


def test_direct_callers_get_the_scan_applied_at_once(shipment):
    event, created = services.record_tracking_event(
        carrier="ups",
        tracking_number="1Z999",
        carrier_event_id="e1",
        status="delivered",
        occurred_at=datetime(2026, 11, 20, 15, tzinfo=UTC),
        location="Boston, MA",
        description="Delivered",
        actor=ACTOR,
    )

    assert created
    assert event.applied_at is not None
    shipment.refresh_from_db()
    assert shipment.status == "delivered"


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    "body",
    [scan(tracking_number="NOPE"), scan(carrier="fedex")],
    ids=["unknown_tracking_number", "other_carrier"],
)
def test_scan_for_an_unknown_parcel_is_404_and_nothing_is_stored(api, shipment, body):
    before = snapshot()

    response = api.post(TRACKING, body, format="json")

    assert response.status_code == 404
    assert response.json()["code"] == "shipment_not_found"
    assert snapshot() == before


@pytest.mark.django_db(transaction=True)
def test_broker_down_the_request_still_succeeds_and_the_sweep_applies_the_scan(
    api, shipment, monkeypatch, caplog
):
    def broker_down(*args, **kwargs):
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(tasks.apply_tracking_event, "delay", broker_down)
    with caplog.at_level(logging.WARNING, logger="orders.services.fulfilment"):
        response = api.post(TRACKING, scan(status="out_for_delivery"), format="json")

    assert response.status_code == 202
    assert response.json()["status"] == "accepted"
    assert "orders.tracking_enqueue_failed" in caplog.messages
    shipment.refresh_from_db()
    assert shipment.status == "shipped"
    # Too fresh for the sweep: the task may still be on its way.
    assert tasks.apply_pending_tracking_events() == 0

    grace = settings.OMS_TRACKING_APPLY_GRACE + timedelta(seconds=1)
    TrackingEvent.objects.update(received_at=timezone.now() - grace)
    assert tasks.apply_pending_tracking_events() == 1

    shipment.refresh_from_db()
    assert shipment.status == "out_for_delivery"
    assert TrackingEvent.objects.get().applied_at is not None
    assert OutboxMessage.objects.filter(event_type="shipment.out_for_delivery").count() == 1
    assert tasks.apply_pending_tracking_events() == 0  # nothing left, nothing applied twice


def test_sweep_and_detect_tasks_are_on_the_beat_schedule():
    scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert "orders.tasks.apply_pending_tracking_events" in scheduled
    assert "orders.tasks.detect_delays" in scheduled


@pytest.mark.django_db(transaction=True)
@pytest.mark.postgres
def test_the_same_scan_posted_concurrently_is_stored_and_applied_once(api_token, shipment):
    from rest_framework.test import APIClient

    def post():
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {api_token}")
        return client.post(TRACKING, scan(status="delivered", hour=15), format="json")

    results = run_concurrently([post] * 8, threads=8)

    assert sorted(r.status_code for r in results) == [200] * 7 + [202]
    assert len({r.json()["id"] for r in results}) == 1
    assert TrackingEvent.objects.count() == 1
    assert OrderEvent.objects.filter(type="delivered").count() == 1
    assert OutboxMessage.objects.filter(event_type="shipment.delivered").count() == 1


@pytest.mark.django_db(transaction=True)
@pytest.mark.postgres
def test_different_scans_racing_for_one_parcel_all_apply_and_the_newest_wins(api_token, shipment):
    from rest_framework.test import APIClient

    def post(event_id: str, status: str, hour: int):
        def call():
            client = APIClient()
            client.credentials(HTTP_AUTHORIZATION=f"Bearer {api_token}")
            return client.post(TRACKING, scan(event_id, status, hour), format="json")

        return call

    scans = [("p", "picked_up", 8), ("t1", "in_transit", 9), ("t2", "in_transit", 10)]
    scans += [("o", "out_for_delivery", 11), ("d", "delivered", 12)]
    results = run_concurrently([post(*s) for s in scans], threads=len(scans))

    assert [r.status_code for r in results] == [202] * len(scans)
    assert not TrackingEvent.objects.filter(applied_at__isnull=True).exists()
    shipment.refresh_from_db()
    assert shipment.status == "delivered"
    assert shipment.last_tracking_at == datetime(2026, 11, 20, 12, tzinfo=UTC)
