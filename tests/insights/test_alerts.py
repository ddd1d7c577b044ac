"""Alerts from detection: raised once per subject and metric with its evidence and exposure,
updated while the rate stays up, resolved once it has been back to normal for a while, with
an outbox message for staff and webhooks at each raise and resolution."""

import threading
from datetime import timedelta

import pytest
from django.conf import settings
from django.db import connection

from insights import tasks
from insights.models import Alert
from insights.services import run_detection
from notifications.models import OutboxMessage
from tests.insights.alert_builders import HOUR, NOW, carrier_in_trouble

CONTACT = Alert.Metric.CONTACT_RATE


def alert_messages(event_type: str) -> list[OutboxMessage]:
    return list(OutboxMessage.objects.filter(event_type=event_type).order_by("created_at"))


@pytest.mark.django_db
def test_a_rate_clearly_above_baseline_raises_one_alert_with_its_evidence_and_exposure():
    carrier_in_trouble()

    changed = run_detection(now=NOW)

    alert = Alert.objects.get()
    assert changed == [alert]
    assert (alert.subject_kind, alert.subject_code, alert.metric) == ("carrier", "ups", CONTACT)
    assert alert.status == Alert.Status.OPEN
    assert alert.raised_at == NOW and alert.last_checked_at == NOW
    assert (alert.window_start, alert.window_end) == (NOW - 6 * HOUR, NOW)
    assert alert.observed_count == 16 and alert.volume == 80
    assert float(alert.expected_count) == pytest.approx(2.0)
    assert float(alert.observed_rate) == pytest.approx(20.0)
    assert float(alert.baseline_rate) == pytest.approx(2.5)
    assert alert.drivers[0]["reason"] == "wismo" and alert.drivers[0]["count"] == 16
    assert alert.exposed_shipments == 80 and alert.exposed_orders == 80
    [message] = alert_messages("insights.alert_raised")
    assert (message.aggregate_type, message.aggregate_id) == ("alert", str(alert.pk))
    assert message.payload["alert"]["subject_code"] == "ups"
    assert message.payload["alert"]["observed_count"] == 16
    assert "order" not in message.payload  # staff and webhooks only: no customer is emailed


@pytest.mark.django_db
def test_the_warehouse_it_ships_from_is_not_alerted_as_well():
    carrier_in_trouble()

    run_detection(now=NOW)

    assert list(Alert.objects.values_list("subject_kind", "subject_code")) == [("carrier", "ups")]


@pytest.mark.django_db
def test_nothing_is_raised_on_an_ordinary_day():
    carrier_in_trouble(customers=1)

    assert run_detection(now=NOW) == []
    assert not Alert.objects.exists()
    assert not OutboxMessage.objects.filter(event_type__startswith="insights.").exists()


@pytest.mark.django_db
def test_a_later_run_while_still_high_updates_the_same_alert():
    store, shipments = carrier_in_trouble()
    run_detection(now=NOW)
    for shipment in shipments[8:20]:
        store.contact(shipment, NOW + timedelta(minutes=10))

    run_detection(now=NOW + timedelta(minutes=15))

    alert = Alert.objects.get()
    assert alert.raised_at == NOW
    assert alert.last_checked_at == alert.window_end == NOW + timedelta(minutes=15)
    assert alert.observed_count == 28
    assert len(alert_messages("insights.alert_raised")) == 1


@pytest.mark.django_db
def test_running_twice_at_the_same_moment_changes_nothing_more():
    carrier_in_trouble()
    run_detection(now=NOW)
    before = Alert.objects.values().get()

    run_detection(now=NOW)

    assert Alert.objects.values().get() == before
    assert len(alert_messages("insights.alert_raised")) == 1


@pytest.mark.django_db
def test_an_alert_resolves_only_after_twelve_hours_back_to_normal():
    carrier_in_trouble()
    run_detection(now=NOW)

    run_detection(now=NOW + 6 * HOUR)  # the calls left the window: quiet, but not for long
    alert = Alert.objects.get()
    assert alert.status == Alert.Status.OPEN
    assert alert.last_checked_at == NOW + 6 * HOUR and alert.window_end == NOW
    assert not alert_messages("insights.alert_resolved")

    changed = run_detection(now=NOW + 12 * HOUR)

    alert.refresh_from_db()
    assert changed == [alert]
    assert alert.status == Alert.Status.RESOLVED and alert.resolved_at == NOW + 12 * HOUR
    [message] = alert_messages("insights.alert_resolved")
    assert message.payload["alert"]["status"] == "resolved"


@pytest.mark.django_db
def test_trouble_again_after_resolution_raises_a_new_alert():
    store, shipments = carrier_in_trouble()
    run_detection(now=NOW)
    run_detection(now=NOW + 12 * HOUR)
    later = NOW + 24 * HOUR
    # Yesterday's trouble is in today's baseline now, which makes it noisier: it takes more.
    for shipment in shipments[10:40] + shipments[50:80]:
        store.contact(shipment, later - HOUR)

    run_detection(now=later)

    first, second = Alert.objects.order_by("raised_at")
    assert first.status == Alert.Status.RESOLVED
    assert second.status == Alert.Status.OPEN and second.raised_at == later
    assert len(alert_messages("insights.alert_raised")) == 2


@pytest.mark.django_db
def test_an_acknowledged_alert_keeps_its_status_while_updated():
    carrier_in_trouble()
    run_detection(now=NOW)
    Alert.objects.update(status=Alert.Status.ACKNOWLEDGED, acknowledged_at=NOW)

    run_detection(now=NOW + timedelta(minutes=15))

    alert = Alert.objects.get()
    assert alert.status == Alert.Status.ACKNOWLEDGED
    assert alert.last_checked_at == NOW + timedelta(minutes=15)


@pytest.mark.django_db
def test_a_run_reads_and_writes_a_bounded_number_of_queries(django_assert_max_num_queries):
    store, _shipments = carrier_in_trouble()
    for carrier in ("fedex", "usps"):
        for warehouse in ("EAST", "WEST"):
            store.baseline_contacts(store.parcels(30, carrier=carrier, warehouse=warehouse))

    with django_assert_max_num_queries(16):
        run_detection(now=NOW)

    assert Alert.objects.count() == 1


@pytest.mark.django_db
def test_the_beat_task_runs_detection_every_15_minutes_and_is_safe_to_repeat():
    entry = next(
        e for e in settings.CELERY_BEAT_SCHEDULE.values() if e["task"] == tasks.run_detection.name
    )
    assert entry["schedule"] == timedelta(minutes=15)
    assert tasks.run_detection.name == "insights.tasks.run_detection"

    assert tasks.run_detection.delay().get() == []  # nothing to detect, nothing raised
    assert tasks.run_detection.delay().get() == []


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_runs_at_once_raise_one_alert():
    carrier_in_trouble()
    barrier = threading.Barrier(2, timeout=30)
    results: list = []

    def run() -> None:
        try:
            barrier.wait()
            results.append(run_detection(now=NOW))
        except Exception as exc:  # noqa: BLE001 - a crash is a result to assert on
            results.append(exc)
        finally:
            connection.close()

    workers = [threading.Thread(target=run) for _ in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)

    assert not [r for r in results if isinstance(r, Exception)], results
    assert Alert.objects.count() == 1
    assert len(alert_messages("insights.alert_raised")) == 1
