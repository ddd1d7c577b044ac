"""The dispatcher: outbox messages fan out into deliveries, and each delivery is sent by its
channel, retried with backoff, and given up on after the last try.

Exactly once in effect: a message fans out once (row lock, SKIP LOCKED); a delivery is claimed
with a lease by one worker at a time, so a worker that dies mid-send lets it go and it is sent
again with the same identity (webhook-id, Message-ID, live log row), which receivers and the log
deduplicate. Broker outages lose nothing: the periodic sweep finds what the kick missed.
"""

import logging
import time
from contextlib import contextmanager
from datetime import timedelta

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerError

from notifications import channels
from notifications.channels import live as live_channel
from notifications.models import Delivery, OutboxMessage
from notifications.routing import plan_deliveries

logger = logging.getLogger(__name__)

# Standard Webhooks' suggested schedule, stretched to cover more than 72 hours.
# https://github.com/standard-webhooks/standard-webhooks/blob/main/spec/standard-webhooks.md
RETRY_SCHEDULE = [
    timedelta(seconds=5),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=5),
    timedelta(hours=10),
    timedelta(hours=14),
    timedelta(hours=20),
    timedelta(hours=24),
]
MAX_ATTEMPTS = len(RETRY_SCHEDULE) + 1
LEASE = timedelta(minutes=2)  # longer than any channel's timeout
SWEEP_GRACE = timedelta(seconds=10)  # younger messages are the kick's to dispatch
SWEEP_BATCH = 500


# After a failed publish this process stops trying for a while: with the broker down each try
# costs the caller the connection or socket timeout (2-5 s), so 1,000 kicks would take half an
# hour or more, and the sweep finds the work anyway.
BROKER_PAUSE_SECONDS = 10.0
_broker_down_until = 0.0  # time.monotonic(); a race between threads only costs one more try


def enqueue(task_name: str, object_id) -> None:
    """Queue a task; if the broker is down, say so and let the sweep find the work later."""
    global _broker_down_until
    from notifications import tasks

    if time.monotonic() < _broker_down_until:
        return
    try:
        getattr(tasks, task_name).delay(str(object_id))
    except BrokerError as exc:
        _broker_down_until = time.monotonic() + BROKER_PAUSE_SECONDS
        logger.warning("notifications.broker_down", extra={"task": task_name, "error": str(exc)})
    except Exception as exc:  # noqa: BLE001 - any broker failure must not fail the caller
        logger.warning("notifications.enqueue_failed", extra={"task": task_name, "error": str(exc)})


_kicks_paused = False


@contextmanager
def history_import():
    """Write history without sending it: while a bulk import of past events runs (the demo
    seed), its outbox rows are not dispatched; the importer marks them dispatched itself."""
    global _kicks_paused
    previous, _kicks_paused = _kicks_paused, True
    try:
        yield
    finally:
        _kicks_paused = previous


def kick(message_id) -> None:
    """Ask a worker to fan the message out (after the emitting transaction committed)."""
    if _kicks_paused:
        return
    enqueue("dispatch_message", message_id)


def fan_out(message_id) -> list[int]:
    """Create the message's deliveries once; the live updates are written to the live log in
    the same transaction (a browser is waiting: one commit, no queue hop), the rest are queued.
    Returns the ids of the deliveries created."""
    with transaction.atomic():
        message = (
            OutboxMessage.objects.select_for_update(skip_locked=True)
            .filter(pk=message_id, dispatched_at__isnull=True)
            .first()
        )
        if message is None:
            return []  # already fanned out, or being fanned out by another worker
        now = timezone.now()
        # Deliveries already made (a message marked undispatched by hand) are not made again.
        existing = set(Delivery.objects.filter(message=message).values_list("channel", "target"))
        deliveries = [d for d in plan_deliveries(message) if (d.channel, d.target) not in existing]
        live = [d for d in deliveries if d.channel == Delivery.Channel.LIVE]
        for delivery in live:
            delivery.status, delivery.sent_at, delivery.attempts = Delivery.Status.SENT, now, 1
        # The message lock makes this the only fan-out of the message, so nothing conflicts
        # and the database returns the new ids.
        Delivery.objects.bulk_create(deliveries)
        live_channel.append_deliveries(message, live)
        message.dispatched_at = now
        message.save(update_fields=["dispatched_at"])
    queued = [d.pk for d in deliveries if d.status == Delivery.Status.PENDING]
    for delivery_id in queued:
        enqueue("deliver_delivery", delivery_id)
    return [d.pk for d in deliveries]


def _claim(delivery_id: int) -> Delivery | None:
    now = timezone.now()
    claimed = (
        Delivery.objects.filter(
            pk=delivery_id,
            status__in=[Delivery.Status.PENDING, Delivery.Status.RETRYING],
            next_attempt_at__lte=now,
        )
        .filter(Q(leased_until__isnull=True) | Q(leased_until__lt=now))
        .update(leased_until=now + LEASE, attempts=F("attempts") + 1)
    )
    if not claimed:
        return None
    return Delivery.objects.select_related("message", "endpoint").get(pk=delivery_id)


def deliver(delivery_id: int, *, force: bool = False) -> Delivery | None:
    """Send one delivery if it is due and nobody else holds it. Returns it, or None."""
    if force:
        Delivery.objects.filter(pk=delivery_id).update(
            next_attempt_at=timezone.now(), leased_until=None
        )
    delivery = _claim(delivery_id)
    if delivery is None:
        return None
    try:
        result = channels.backend_for(delivery.channel).send(delivery)
    except Exception as exc:
        logger.exception("notifications.channel_crashed", extra={"delivery_id": delivery_id})
        result = channels.SendResult(False, error=f"{type(exc).__name__}: {exc}")
    _record(delivery, result)
    return delivery


def _record(delivery: Delivery, result: channels.SendResult) -> None:
    now = timezone.now()
    delivery.leased_until = None
    if result.is_success:
        delivery.status, delivery.sent_at, delivery.last_error = Delivery.Status.SENT, now, ""
        delivery.detail = result.detail[:255]
    elif result.is_permanent or delivery.attempts >= MAX_ATTEMPTS:
        delivery.status, delivery.last_error = Delivery.Status.DEAD, result.error[:500]
        logger.warning("notifications.delivery_dead", extra={"delivery_id": delivery.pk})
    else:
        delivery.status, delivery.last_error = Delivery.Status.RETRYING, result.error[:500]
        delivery.next_attempt_at = now + RETRY_SCHEDULE[delivery.attempts - 1]
    delivery.save(
        update_fields=[
            "status",
            "sent_at",
            "last_error",
            "detail",
            "next_attempt_at",
            "leased_until",
        ]
    )


def sweep() -> dict[str, int]:
    """Deliver what the kicks missed: messages never fanned out, deliveries due for a retry or
    left behind by a dead worker. Runs periodically (beat)."""
    now = timezone.now()
    message_ids = list(
        OutboxMessage.objects.filter(dispatched_at__isnull=True, created_at__lt=now - SWEEP_GRACE)
        .order_by("created_at")
        .values_list("pk", flat=True)[:SWEEP_BATCH]
    )
    for message_id in message_ids:
        fan_out(message_id)
    due = list(
        Delivery.objects.filter(
            status__in=[Delivery.Status.PENDING, Delivery.Status.RETRYING],
            next_attempt_at__lte=now,
        )
        .filter(Q(leased_until__isnull=True) | Q(leased_until__lt=now))
        .order_by("next_attempt_at")
        .values_list("pk", "channel")[:SWEEP_BATCH]
    )
    for delivery_id, channel in due:
        if channel == Delivery.Channel.LIVE:
            deliver(delivery_id)
        else:
            enqueue("deliver_delivery", delivery_id)
    return {"messages": len(message_ids), "deliveries": len(due)}
