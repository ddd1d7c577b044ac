"""Carrier scans in batches: a JSON array posted to the tracking endpoint is stored at once,
answered scan by scan, and applied by one worker task to the same end state as one scan at a
time."""

from datetime import UTC, datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from notifications.models import OutboxMessage
from orders import services, tasks
from orders.models import Order, OrderEvent, Shipment, TrackingEvent
from tests.orders.builders import ACTOR, order_input, ship, split_catalog
from tests.orders.test_tracking import TRACKING, scan, snapshot


@pytest.fixture
def parcels(db) -> list[Shipment]:
    """Two parcels of two orders, handed to UPS as 1Z001 and 1Z002."""
    sku = split_catalog()
    return [
        ship(services.place_order(data=order_input([(sku, 1)]), actor=ACTOR).shipments.get(), t)
        for t in ("1Z001", "1Z002")
    ]


def scan_input(event_id: str, tracking: str, status: str, hour: int) -> services.ScanInput:
    return services.ScanInput(
        carrier="ups",
        tracking_number=tracking,
        carrier_event_id=event_id,
        status=status,
        occurred_at=datetime(2026, 11, 20, hour, tzinfo=UTC),
    )


def test_batch_is_stored_answered_per_scan_and_applied_by_one_task(
    api, parcels, django_capture_on_commit_callbacks
):
    services.record_tracking_event(
        carrier="ups",
        tracking_number="1Z001",
        carrier_event_id="old",
        status="in_transit",
        occurred_at=datetime(2026, 11, 20, 8, tzinfo=UTC),
        actor=ACTOR,
    )
    body = [
        scan("a", "in_transit", 9, tracking_number="1Z001"),
        scan("old", "delivered", 9, tracking_number="1Z001"),  # stored before: a duplicate
        scan("b", "out_for_delivery", 10, tracking_number="1Z002"),
        scan("c", "in_transit", 10, tracking_number="NOPE"),  # unknown parcel: refused
        scan("a", "in_transit", 9, tracking_number="1Z001"),  # twice in the batch: stored once
    ]

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = api.post(TRACKING, body, format="json")

    assert response.status_code == 202, response.json()
    stored = dict(TrackingEvent.objects.values_list("carrier_event_id", "pk"))
    first, second = (p.number for p in parcels)
    assert response.json() == {
        "results": [
            {"event_id": "a", "result": "accepted", "id": stored["a"], "shipment": first},
            {"event_id": "old", "result": "duplicate", "id": stored["old"], "shipment": first},
            {"event_id": "b", "result": "accepted", "id": stored["b"], "shipment": second},
            {
                "event_id": "c",
                "result": "rejected",
                "id": None,
                "shipment": None,
                "code": "shipment_not_found",
                "detail": "No shipment with ups tracking number NOPE.",
            },
            {"event_id": "a", "result": "duplicate", "id": stored["a"], "shipment": first},
        ]
    }
    assert sorted(stored) == ["a", "b", "old"]
    assert TrackingEvent.objects.filter(applied_at__isnull=True).count() == 2  # until the task

    assert len(callbacks) == 1  # one task for the whole batch
    callbacks[0]()

    assert not TrackingEvent.objects.filter(applied_at__isnull=True).exists()
    statuses = dict(Shipment.objects.values_list("tracking_number", "status"))
    assert statuses == {"1Z001": "in_transit", "1Z002": "out_for_delivery"}
    assert OutboxMessage.objects.filter(event_type="shipment.out_for_delivery").count() == 1


def test_a_batch_applied_at_once_ends_where_one_scan_at_a_time_ends(parcels):
    scans = [
        ("d", "1Z001", "delivered", 15),
        ("a", "1Z001", "in_transit", 9),
        ("b", "1Z002", "in_transit", 9),
        ("c", "1Z001", "out_for_delivery", 11),
    ]
    outcomes = services.record_tracking_events(scans=[scan_input(*s) for s in scans], actor=ACTOR)
    services.apply_tracking_events(event_ids=[o.event.pk for o in outcomes])

    assert dict(Shipment.objects.values_list("tracking_number", "status")) == {
        "1Z001": "delivered",
        "1Z002": "in_transit",
    }
    delivered = Shipment.objects.get(tracking_number="1Z001")
    assert delivered.last_tracking_at == datetime(2026, 11, 20, 15, tzinfo=UTC)
    assert Order.objects.get(pk=delivered.order_id).status == "delivered"
    # Every scan is on the timeline; the late ones as history, never moving the parcel back.
    assert OrderEvent.objects.filter(order_id=delivered.order_id, type="tracking").count() == 2
    assert OutboxMessage.objects.filter(event_type="shipment.delivered").count() == 1
    assert not TrackingEvent.objects.filter(applied_at__isnull=True).exists()


def test_applying_a_batch_twice_changes_nothing_the_second_time(parcels):
    outcomes = services.record_tracking_events(
        scans=[scan_input("a", "1Z001", "in_transit", 9)], actor=ACTOR
    )
    ids = [outcomes[0].event.pk]
    assert services.apply_tracking_events(event_ids=ids) == 1
    before = snapshot()

    assert tasks.apply_tracking_events(ids) == 0

    assert snapshot() == before


def test_storing_a_batch_costs_the_same_few_queries_whatever_its_size(parcels):
    def queries(count: int, prefix: str) -> int:
        batch = [scan_input(f"{prefix}{i}", f"1Z00{1 + i % 2}", "info", 9) for i in range(count)]
        with CaptureQueriesContext(connection) as captured:
            services.record_tracking_events(scans=batch, actor=ACTOR)
        return len(captured)

    assert queries(2, "small") == queries(40, "large") <= 8


@pytest.mark.django_db(transaction=True)
def test_batch_with_an_invalid_scan_is_refused_whole_and_nothing_is_stored(api, parcels):
    before = snapshot()

    response = api.post(
        TRACKING,
        [scan("a", tracking_number="1Z001"), scan("b", status="teleported")],
        format="json",
    )

    assert response.status_code == 400
    assert snapshot() == before


@pytest.mark.django_db(transaction=True)
def test_batch_over_the_limit_is_refused(api, parcels):
    body = [scan(f"e{i}", tracking_number="1Z001") for i in range(services.MAX_TRACKING_BATCH + 1)]

    response = api.post(TRACKING, body, format="json")

    assert response.status_code == 400
    assert not TrackingEvent.objects.exists()
