"""The dispatcher: fan-out happens once, failed sends are retried on schedule and given up on
after the last try, a channel that raises is a failed attempt, and the sweep finds messages
whose kick was lost."""

from datetime import timedelta

import pytest
from django.core import mail
from django.db import transaction
from django.utils import timezone

from notifications import services as notifications
from notifications.channels import SendResult
from notifications.models import Delivery, LiveEvent, OutboxMessage
from notifications.services import dispatch

pytestmark = pytest.mark.django_db(transaction=True)

PAYLOAD = {
    "order": {
        "number": "100777",
        "status": "confirmed",
        "email": "ana@example.com",
        "phone": "",
        "customer_name": "Ana Souza",
        "locale": "en",
        "currency": "USD",
        "total": "55.000",
        "promised_delivery_date": None,
        "tracking_url": "http://127.0.0.1:8000/track/x/",
    },
    "event": {"type": "cancelled", "reason": "customer asked", "actor": "tests"},
}


class FailingChannel:
    def send(self, delivery):
        return SendResult(False, error="mail server said 451")


class CrashingChannel:
    def send(self, delivery):
        raise ConnectionResetError("connection reset by peer")


class PermanentlyFailingChannel:
    def send(self, delivery):
        return SendResult(False, is_permanent=True, error="550 no such mailbox")


@pytest.fixture
def no_kick(monkeypatch):
    """The broker is down: the kick after commit reaches no worker."""
    monkeypatch.setattr(dispatch, "kick", lambda message_id: None)


def emit_committed(event_type: str = "order.cancelled") -> OutboxMessage:
    with transaction.atomic():
        return notifications.emit(
            event_type, aggregate_type="order", aggregate_id="100777", payload=PAYLOAD
        )


def email_delivery(message: OutboxMessage) -> Delivery:
    return message.deliveries.get(channel=Delivery.Channel.EMAIL)


def test_fan_out_creates_the_deliveries_once(no_kick):
    message = emit_committed()

    created = dispatch.fan_out(message.pk)
    assert len(created) == 3  # live staff, live order topic, email
    assert dispatch.fan_out(message.pk) == []  # already fanned out
    # Even if a crash left the message looking undispatched, no delivery is made twice.
    OutboxMessage.objects.filter(pk=message.pk).update(dispatched_at=None)
    dispatch.fan_out(message.pk)

    assert Delivery.objects.filter(message=message).count() == 3
    assert LiveEvent.objects.filter(delivery__message=message).count() == 2
    assert len(mail.outbox) == 1


def test_a_failing_channel_is_retried_on_schedule_then_given_up(no_kick, settings):
    settings.OMS_CHANNEL_BACKENDS = {"email": "tests.notifications.test_dispatch.FailingChannel"}
    message = emit_committed()
    dispatch.fan_out(message.pk)  # the first attempt, queued (inline) by the fan-out
    delivery = email_delivery(message)

    for attempt in range(1, dispatch.MAX_ATTEMPTS):
        assert (delivery.status, delivery.attempts) == (Delivery.Status.RETRYING, attempt)
        assert delivery.last_error == "mail server said 451"
        assert delivery.leased_until is None
        wait = delivery.next_attempt_at - timezone.now()
        expected = dispatch.RETRY_SCHEDULE[attempt - 1]
        assert expected - timedelta(seconds=5) <= wait <= expected
        assert dispatch.deliver(delivery.pk) is None  # not due yet: nothing happens
        Delivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now())
        dispatch.deliver(delivery.pk)
        delivery.refresh_from_db()

    assert (delivery.status, delivery.attempts) == (Delivery.Status.DEAD, dispatch.MAX_ATTEMPTS)
    assert dispatch.deliver(delivery.pk, force=True) is None  # given up: only a replay revives it
    assert mail.outbox == []


def test_the_retry_schedule_spans_more_than_72_hours():
    assert sum(dispatch.RETRY_SCHEDULE, timedelta()) > timedelta(hours=72)
    assert len(dispatch.RETRY_SCHEDULE) + 1 == dispatch.MAX_ATTEMPTS


def test_a_permanent_failure_is_not_retried(no_kick, settings):
    settings.OMS_CHANNEL_BACKENDS = {
        "email": "tests.notifications.test_dispatch.PermanentlyFailingChannel"
    }
    message = emit_committed()
    dispatch.fan_out(message.pk)

    delivery = email_delivery(message)
    assert (delivery.status, delivery.attempts) == (Delivery.Status.DEAD, 1)
    assert delivery.last_error == "550 no such mailbox"


def test_a_channel_that_raises_is_recorded_as_a_failed_attempt(no_kick, settings, caplog):
    settings.OMS_CHANNEL_BACKENDS = {"email": "tests.notifications.test_dispatch.CrashingChannel"}
    message = emit_committed()

    dispatch.fan_out(message.pk)  # does not raise

    delivery = email_delivery(message)
    assert (delivery.status, delivery.attempts) == (Delivery.Status.RETRYING, 1)
    assert delivery.last_error == "ConnectionResetError: connection reset by peer"
    assert delivery.leased_until is None  # let go at once, not after the lease
    assert "notifications.channel_crashed" in caplog.text
    # The other channels were not held back by it.
    assert set(message.deliveries.filter(channel="live").values_list("status", flat=True)) == {
        "sent"
    }


def test_sweep_delivers_a_message_whose_kick_was_lost(no_kick):
    message = emit_committed()
    assert Delivery.objects.count() == 0  # the kick reached nobody

    assert dispatch.sweep() == {"messages": 0, "deliveries": 0}  # young: the kick's to do
    OutboxMessage.objects.filter(pk=message.pk).update(
        created_at=timezone.now() - dispatch.SWEEP_GRACE - timedelta(seconds=1)
    )
    assert dispatch.sweep()["messages"] == 1

    message.refresh_from_db()
    assert message.dispatched_at is not None
    assert set(message.deliveries.values_list("status", flat=True)) == {"sent"}
    (email,) = mail.outbox
    assert email.subject == "Your order 100777 has been cancelled"
    assert dispatch.sweep() == {"messages": 0, "deliveries": 0}  # nothing twice


def test_sweep_retries_a_due_delivery_and_frees_one_left_leased_by_a_dead_worker(no_kick, settings):
    settings.OMS_CHANNEL_BACKENDS = {"email": "tests.notifications.test_dispatch.FailingChannel"}
    message = emit_committed()
    dispatch.fan_out(message.pk)
    delivery = email_delivery(message)
    # A worker claimed the retry and died mid-send: the lease has run out.
    Delivery.objects.filter(pk=delivery.pk).update(
        next_attempt_at=timezone.now() - timedelta(minutes=10),
        leased_until=timezone.now() - timedelta(seconds=1),
    )
    settings.OMS_CHANNEL_BACKENDS = {}

    assert dispatch.sweep()["deliveries"] == 1

    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (Delivery.Status.SENT, 2)
    assert len(mail.outbox) == 1


def test_a_held_lease_keeps_other_workers_off(no_kick):
    message = emit_committed()
    Delivery.objects.bulk_create(
        [
            Delivery(
                message=message,
                channel=Delivery.Channel.EMAIL,
                target="ana@example.com",
                event_type=message.event_type,
                aggregate_type="order",
                aggregate_id="100777",
                next_attempt_at=timezone.now(),
                leased_until=timezone.now() + dispatch.LEASE,
            )
        ]
    )
    delivery = Delivery.objects.get(message=message)

    assert dispatch.deliver(delivery.pk) is None
    assert dispatch.sweep()["deliveries"] == 0
    assert mail.outbox == []
