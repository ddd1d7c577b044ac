"""Proactive delay: late, stalled and exception parcels are flagged once, their customer is told
once, and their order goes to the console's attention queue; everything else is left alone."""

from datetime import UTC, date, datetime, timedelta

import pytest

from notifications.models import OutboxMessage
from oms.exceptions import Conflict
from orders import services, tasks
from orders.models import Order, OrderEvent, Shipment
from tests.orders.builders import ACTOR, order_input, ship, split_catalog
from tests.orders.test_concurrency import run_concurrently

NOW = datetime(2026, 11, 22, 15, 0, tzinfo=UTC)
TODAY = NOW.date()
RECENTLY = NOW - timedelta(hours=2)
NOTHING = {"late": 0, "stalled": 0, "exception": 0}

pytestmark = pytest.mark.django_db


@pytest.fixture
def sku(db) -> str:
    return split_catalog()


def parcel(
    sku: str,
    tracking: str,
    *,
    promised: date | None = TODAY + timedelta(days=2),
    estimated: date | None = TODAY + timedelta(days=1),
    shipped_at: datetime = NOW - timedelta(days=1),
    last_scan: datetime | None = RECENTLY,
    units: int = 1,
) -> Shipment:
    """A one-unit order shipped with UPS, its dates and last scan set as given."""
    order = services.place_order(data=order_input([(sku, units)]), actor=ACTOR)
    shipment = ship(order.shipments.order_by("pk").first(), tracking)
    Shipment.objects.filter(pk=shipment.pk).update(
        promised_delivery_date=promised,
        estimated_delivery_date=estimated,
        shipped_at=shipped_at,
        last_tracking_at=last_scan,
    )
    return Shipment.objects.get(pk=shipment.pk)


def carrier_scan(shipment: Shipment, status: str, at: datetime, event_id: str = "") -> None:
    services.record_tracking_event(
        carrier=shipment.carrier,
        tracking_number=shipment.tracking_number,
        carrier_event_id=event_id or f"{shipment.tracking_number}-{status}",
        status=status,
        occurred_at=at,
        actor=ACTOR,
    )


def snapshot() -> dict:
    return {
        "shipments": list(
            Shipment.objects.values_list("pk", "status", "delayed_at", "delay_reason").order_by(
                "pk"
            )
        ),
        "orders": list(
            Order.objects.values_list(
                "pk", "needs_attention", "attention_reason", "attention_at"
            ).order_by("pk")
        ),
        "events": OrderEvent.objects.count(),
        "outbox": OutboxMessage.objects.count(),
    }


def delayed_messages(shipment: Shipment) -> list[OutboxMessage]:
    return [
        message
        for message in OutboxMessage.objects.filter(event_type="shipment.delayed")
        if message.payload["event"]["shipment"]["number"] == shipment.number
    ]


def test_late_parcel_is_flagged_once_its_customer_told_once_and_its_order_queued(sku):
    shipment = parcel(sku, "1ZLATE", promised=TODAY - timedelta(days=2))

    assert services.detect_delays(now=NOW) == NOTHING | {"late": 1}

    shipment.refresh_from_db()
    assert (shipment.delayed_at, shipment.delay_reason) == (NOW, "late")
    order = shipment.order
    assert order.needs_attention
    assert order.attention_at == NOW
    assert order.attention_reason == (
        f"Shipment {shipment.number} is late: due {TODAY - timedelta(days=2)}, not delivered."
    )
    event = OrderEvent.objects.get(order=order, type="delayed")
    assert event.actor_label == "delay watch"
    assert event.data["delay_reason"] == "late"
    [message] = delayed_messages(shipment)
    assert message.aggregate_id == order.number
    assert message.payload["event"]["delay_reason"] == "late"
    assert message.payload["event"]["promised_delivery_date"] == str(TODAY - timedelta(days=2))

    before = snapshot()
    assert services.detect_delays(now=NOW) == NOTHING
    assert services.detect_delays(now=NOW + timedelta(days=3)) == NOTHING
    assert snapshot() == before


@pytest.mark.parametrize(
    ("now", "is_late"),
    [
        (datetime(2026, 11, 22, 11, 59, tzinfo=UTC), False),
        (datetime(2026, 11, 22, 12, 0, tzinfo=UTC), True),
    ],
    ids=["promised_day_not_over_everywhere", "promised_day_over_everywhere"],
)
def test_a_parcel_is_late_once_its_promised_day_has_ended_everywhere_on_earth(sku, now, is_late):
    # Promised for the 21st: in UTC-12 that day ends at 12:00 UTC on the 22nd.
    parcel(sku, "1ZEDGE", promised=date(2026, 11, 21), last_scan=now - timedelta(hours=1))

    assert services.detect_delays(now=now)["late"] == int(is_late)


def test_without_a_promised_date_the_estimated_date_counts(sku):
    shipment = parcel(sku, "1ZEST", promised=None, estimated=TODAY - timedelta(days=1))

    assert services.detect_delays(now=NOW)["late"] == 1
    shipment.refresh_from_db()
    assert shipment.delay_reason == "late"


@pytest.mark.parametrize(
    ("hours_since_scan", "is_stalled"), [(47, False), (49, True)], ids=["47h", "49h"]
)
def test_a_parcel_without_a_scan_for_48_hours_has_stalled(sku, hours_since_scan, is_stalled):
    parcel(
        sku,
        "1ZSTALL",
        shipped_at=NOW - timedelta(days=4),
        last_scan=NOW - timedelta(hours=hours_since_scan),
    )

    assert services.detect_delays(now=NOW) == NOTHING | {"stalled": int(is_stalled)}


def test_a_parcel_never_scanned_stalls_from_its_ship_time(sku):
    shipment = parcel(sku, "1ZNOSCAN", shipped_at=NOW - timedelta(hours=50), last_scan=None)

    assert services.detect_delays(now=NOW) == NOTHING | {"stalled": 1}
    shipment.refresh_from_db()
    assert shipment.order.attention_reason == (
        f"Shipment {shipment.number} has had no carrier scan since "
        f"{NOW - timedelta(hours=50):%Y-%m-%d %H:%M} UTC."
    )


def test_the_stalled_threshold_is_a_setting(sku, settings):
    settings.OMS_STALLED_AFTER = timedelta(hours=12)
    parcel(sku, "1ZQUICK", last_scan=NOW - timedelta(hours=13))

    assert services.detect_delays(now=NOW) == NOTHING | {"stalled": 1}


def test_parcel_in_exception_is_flagged_once_even_when_it_is_also_late(sku):
    shipment = parcel(sku, "1ZEXC", promised=TODAY - timedelta(days=1))
    carrier_scan(shipment, "exception", RECENTLY)

    assert services.detect_delays(now=NOW) == NOTHING | {"exception": 1}
    shipment.refresh_from_db()
    assert (shipment.status, shipment.delay_reason) == ("exception", "exception")
    assert len(delayed_messages(shipment)) == 1
    # The parcel recovers, then goes quiet: it was already flagged, the customer hears no more.
    carrier_scan(shipment, "out_for_delivery", RECENTLY + timedelta(minutes=30))
    assert services.detect_delays(now=NOW + timedelta(days=5)) == NOTHING
    assert len(delayed_messages(shipment)) == 1


def test_on_time_delivered_and_unshipped_parcels_are_left_alone(sku):
    parcel(sku, "1ZOK", promised=TODAY, estimated=TODAY)  # due today: not late yet
    delivered = parcel(sku, "1ZDONE", promised=TODAY - timedelta(days=5), last_scan=None)
    carrier_scan(delivered, "delivered", NOW - timedelta(days=4))
    unshipped = services.place_order(data=order_input([(sku, 1)]), actor=ACTOR).shipments.get()
    Shipment.objects.filter(pk=unshipped.pk).update(
        promised_delivery_date=TODAY - timedelta(days=5)
    )
    before = snapshot()

    assert services.detect_delays(now=NOW) == NOTHING

    assert snapshot() == before
    assert not Order.objects.filter(needs_attention=True).exists()


def test_two_delayed_parcels_of_one_order_are_two_messages_and_one_queue_entry(sku):
    # 7 units: 5 ship from EAST, 2 from WEST.
    order = services.place_order(data=order_input([(sku, 7)]), actor=ACTOR)
    east, west = order.shipments.order_by("pk")
    ship(east, "1ZEAST")
    ship(west, "1ZWEST")
    on_time = {"estimated_delivery_date": TODAY, "shipped_at": NOW - timedelta(days=4)}
    Shipment.objects.filter(pk=east.pk).update(
        **on_time, promised_delivery_date=TODAY, last_tracking_at=NOW - timedelta(days=3)
    )
    Shipment.objects.filter(pk=west.pk).update(
        **on_time, promised_delivery_date=TODAY - timedelta(days=1), last_tracking_at=RECENTLY
    )

    assert services.detect_delays(now=NOW) == {"late": 1, "stalled": 1, "exception": 0}

    order.refresh_from_db()
    assert order.needs_attention
    assert order.attention_reason.startswith(f"Shipment {east.number} has had no carrier scan")
    assert OrderEvent.objects.filter(order=order, type="delayed").count() == 2
    assert len(delayed_messages(east)) == len(delayed_messages(west)) == 1


def test_flag_stays_after_delivery_until_the_console_clears_it(sku):
    shipment = parcel(sku, "1ZCLEAR", promised=TODAY - timedelta(days=1))
    services.detect_delays(now=NOW)
    carrier_scan(shipment, "delivered", RECENTLY + timedelta(hours=1))
    order = Order.objects.get(pk=shipment.order_id)
    assert order.status == "delivered"
    assert order.needs_attention

    services.clear_order_attention(order=order, actor=ACTOR, reason="Called the customer")

    order.refresh_from_db()
    assert (order.needs_attention, order.attention_reason, order.attention_at) == (False, "", None)
    cleared = OrderEvent.objects.get(order=order, type="attention_cleared")
    assert cleared.reason == "Called the customer"
    assert cleared.data["attention_reason"].startswith(f"Shipment {shipment.number} is late")
    before = snapshot()
    with pytest.raises(Conflict) as refused:
        services.clear_order_attention(order=order, actor=ACTOR, reason="again")
    assert refused.value.code == "attention_not_needed"
    assert snapshot() == before


def test_finding_nothing_to_flag_is_one_query(sku, django_assert_num_queries):
    for number in range(3):
        parcel(sku, f"1ZFINE{number}")

    with django_assert_num_queries(1):
        assert services.detect_delays(now=NOW) == NOTHING


def test_the_periodic_task_flags_delays_now(sku):
    parcel(sku, "1ZTASK", promised=date(2000, 1, 1))

    assert tasks.detect_delays() == NOTHING | {"late": 1}
    assert tasks.detect_delays() == NOTHING


@pytest.mark.django_db(transaction=True)
@pytest.mark.postgres
def test_concurrent_runs_flag_each_parcel_and_tell_each_customer_once(sku):
    shipments = [
        parcel(sku, f"1ZRACE{number}", promised=TODAY - timedelta(days=1)) for number in range(3)
    ]

    results = run_concurrently([lambda: services.detect_delays(now=NOW)] * 6, threads=6)

    assert not [r for r in results if isinstance(r, Exception)], results
    assert sum(r["late"] for r in results) == 3
    assert OrderEvent.objects.filter(type="delayed").count() == 3
    assert all(len(delayed_messages(s)) == 1 for s in shipments)
