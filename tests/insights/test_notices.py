"""Telling exposed customers about an alert: one message per exposed order, on its timeline by
the supervisor who sent it, never twice (a retry, a second click, two supervisors at once, or
another alert about the same carrier within a week)."""

import threading
from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.utils import timezone

from insights.models import Alert, AlertNotice
from insights.selectors import exposed_orders
from insights.services import notify_exposed_customers
from notifications.models import OutboxMessage
from oms.actors import Actor
from oms.exceptions import Conflict
from orders.models import Order, OrderEvent
from tests.insights.alert_builders import DAY, HOUR, NOW, AlertStore

EVENT = "order.disruption_notice"


def make_alert(kind: str = "carrier", code: str = "ups", **fields) -> Alert:
    values = {
        "subject_kind": kind,
        "subject_code": code,
        "metric": Alert.Metric.CONTACT_RATE,
        "raised_at": NOW,
        "last_checked_at": NOW,
        "window_start": NOW - 6 * HOUR,
        "window_end": NOW,
        "observed_count": 16,
        "expected_count": Decimal(2),
        "volume": 80,
        "observed_rate": Decimal(20),
        "baseline_rate": Decimal("2.5"),
    }
    return Alert.objects.create(**{**values, **fields})


@pytest.fixture
def supervisor(db) -> Actor:
    return Actor.for_user(User.objects.create_user("sam", password="x"))


@pytest.fixture
def store(db) -> AlertStore:
    return AlertStore()


def notices_sent() -> list[OutboxMessage]:
    return list(OutboxMessage.objects.filter(event_type=EVENT))


def test_every_exposed_customer_is_told_once_on_the_order_timeline(store, supervisor):
    exposed = store.parcels(3, scan_every=None)
    store.parcels(2, carrier="fedex", scan_every=None)  # another carrier
    store.parcels(  # delivered before now
        2, shipped_at=NOW - 5 * DAY, delivered_at=NOW - DAY, status="delivered", scan_every=None
    )
    alert = make_alert()

    sent = notify_exposed_customers(alert=alert, actor=supervisor, now=NOW)

    assert sent == 3
    orders = {s.order_id for s in exposed}
    assert set(AlertNotice.objects.values_list("order_id", flat=True)) == orders
    assert {n.actor_label for n in AlertNotice.objects.all()} == {"sam"}
    messages = notices_sent()
    assert {m.aggregate_id for m in messages} == set(
        Order.objects.filter(pk__in=orders).values_list("number", flat=True)
    )
    payload = messages[0].payload
    assert payload["order"]["email"] == "ana@example.com" and payload["order"]["locale"] == "pt-br"
    assert payload["event"]["kind"] == "disruption_notice"
    assert payload["event"]["subject_name"] == "UPS"
    assert payload["event"]["shipments"][0]["carrier"] == "ups"
    notes = OrderEvent.objects.filter(order_id__in=orders, type=OrderEvent.Type.NOTE)
    assert notes.count() == 3
    note = notes.first()
    assert note.actor_label == "sam" and note.actor_user_id == supervisor.user_id
    assert note.data["alert"] == alert.pk and note.data["subject_code"] == "ups"
    assert "UPS" in note.reason
    alert.refresh_from_db()
    assert alert.notified_count == 3 and alert.notified_at is not None


def test_a_second_click_tells_nobody_twice(store, supervisor):
    store.parcels(3, scan_every=None)
    alert = make_alert()
    notify_exposed_customers(alert=alert, actor=supervisor, now=NOW)

    assert notify_exposed_customers(alert=alert, actor=supervisor, now=NOW) == 0

    assert len(notices_sent()) == 3 and AlertNotice.objects.count() == 3
    alert.refresh_from_db()
    assert alert.notified_count == 3


def test_a_customer_exposed_later_is_told_on_the_next_click(store, supervisor):
    store.parcels(3, scan_every=None)
    alert = make_alert()
    notify_exposed_customers(alert=alert, actor=supervisor, now=NOW)
    store.parcels(2, shipped_at=NOW + HOUR, scan_every=None)

    assert notify_exposed_customers(alert=alert, actor=supervisor, now=NOW + 2 * HOUR) == 2

    assert len(notices_sent()) == 5


def test_cancelled_orders_are_not_told(store, supervisor):
    shipments = store.parcels(3, scan_every=None)
    Order.objects.filter(pk=shipments[0].order_id).update(status=Order.Status.CANCELLED)
    alert = make_alert()

    assert notify_exposed_customers(alert=alert, actor=supervisor, now=NOW) == 2


def test_customers_told_about_the_same_carrier_this_week_are_not_told_again(store, supervisor):
    store.parcels(3, scan_every=None)
    contact_alert = make_alert(status=Alert.Status.RESOLVED, resolved_at=NOW)
    notify_exposed_customers(alert=make_alert(status=Alert.Status.OPEN), actor=supervisor, now=NOW)
    delay_alert = Alert.objects.get(status=Alert.Status.OPEN)
    delay_alert.metric = Alert.Metric.DELAY_RATE
    delay_alert.save()
    warehouse_alert = make_alert(kind="warehouse", code="EAST")

    assert notify_exposed_customers(alert=delay_alert, actor=supervisor, now=NOW) == 0
    assert notify_exposed_customers(alert=warehouse_alert, actor=supervisor, now=NOW) == 3
    assert contact_alert.notices.count() == 0


def test_a_week_later_the_same_carrier_may_tell_them_again(store, supervisor):
    store.parcels(3, scan_every=None)
    first = make_alert(status=Alert.Status.RESOLVED, resolved_at=NOW)
    for order_id in Order.objects.values_list("pk", flat=True):
        AlertNotice.objects.create(alert=first, order_id=order_id, **supervisor.as_fields())
    AlertNotice.objects.update(created_at=timezone.now() - timedelta(days=8))

    assert notify_exposed_customers(alert=make_alert(), actor=supervisor, now=NOW) == 3


def test_a_resolved_alert_tells_nobody(store, supervisor):
    store.parcels(3, scan_every=None)
    alert = make_alert(status=Alert.Status.RESOLVED, resolved_at=NOW)

    with pytest.raises(Conflict) as refused:
        notify_exposed_customers(alert=alert, actor=supervisor, now=NOW)

    assert refused.value.code == "alert_resolved"
    assert not notices_sent() and not AlertNotice.objects.exists()


def test_a_warehouse_alert_also_exposes_the_orders_still_waiting_in_it(store):
    in_flight = store.parcels(2, scan_every=None)
    waiting = store.parcels(2, shipped_at=NOW + HOUR, scan_every=None)  # created an hour ago
    store.parcels(2, warehouse="WEST", scan_every=None)

    orders = exposed_orders(make_alert(kind="warehouse", code="EAST"), now=NOW)

    assert set(orders.values_list("pk", flat=True)) == {s.order_id for s in in_flight + waiting}
    assert set(
        exposed_orders(make_alert(kind="carrier", code="ups", metric="delay_rate"), now=NOW)
    ) >= {s.order for s in in_flight}


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_supervisors_clicking_at_once_send_one_message_per_order():
    store = AlertStore()
    store.parcels(30, scan_every=None)
    alert = make_alert()
    actors = [Actor.for_user(User.objects.create_user(name, password="x")) for name in "ab"]
    barrier = threading.Barrier(2, timeout=30)
    results: list = []

    def click(actor: Actor) -> None:
        try:
            barrier.wait()
            results.append(notify_exposed_customers(alert=alert, actor=actor, now=NOW))
        except Exception as exc:  # noqa: BLE001 - a crash is a result to assert on
            results.append(exc)
        finally:
            connection.close()

    workers = [threading.Thread(target=click, args=(actor,)) for actor in actors]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)

    assert sorted(results) == [0, 30], results
    assert len(notices_sent()) == 30
    assert AlertNotice.objects.count() == 30
    assert OrderEvent.objects.filter(type=OrderEvent.Type.NOTE).count() == 30
    alert.refresh_from_db()
    assert alert.notified_count == 30


def test_the_customer_is_emailed_in_their_language_whatever_their_preferences(
    store, supervisor, django_capture_on_commit_callbacks, mailoutbox
):
    from notifications.models import ContactPreference

    ContactPreference.objects.create(email="ana@example.com", wants_non_essential=False)
    (shipment,) = store.parcels(1, scan_every=None)

    with django_capture_on_commit_callbacks(execute=True):
        notify_exposed_customers(alert=make_alert(), actor=supervisor, now=NOW)

    (email,) = mailoutbox
    assert email.to == ["ana@example.com"]
    assert email.subject == f"Seu pedido {shipment.order.number} está atrasado"
    assert "UPS" in email.body and shipment.tracking_number in email.body
