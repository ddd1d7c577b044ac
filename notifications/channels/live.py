"""Live updates: each delivery becomes one row of the committed live event log, then a Redis
pub/sub message wakes the streams up (without Redis they poll the log)."""

import json
import logging

import redis
from django.conf import settings
from django.db import connection, transaction

from notifications.channels import SendResult
from notifications.models import Delivery, LiveEvent

logger = logging.getLogger(__name__)
LIVE_CHANNEL = "oms:live"
# Live events are inserted one transaction at a time (an advisory lock), so ids become visible
# in order and a stream that has read id N never later finds a smaller id appear.
LIVE_LOG_LOCK = 7_240_001

_redis_client: redis.Redis | None = None


def redis_client() -> redis.Redis | None:
    global _redis_client
    if not settings.REDIS_URL:
        return None
    if _redis_client is None:
        _redis_client = redis.Redis.from_url(
            settings.REDIS_URL, socket_connect_timeout=1, socket_timeout=1
        )
    return _redis_client


def publish(event: LiveEvent) -> None:
    """Wake the streams up. Best effort: a stream also polls, so nothing is lost without it."""
    client = redis_client()
    if client is None:
        return
    try:
        client.publish(LIVE_CHANNEL, json.dumps({"id": event.pk, "topic": event.topic}))
    except redis.RedisError as exc:
        logger.warning("live.publish_failed", extra={"event_id": event.pk, "error": str(exc)})


def append(*, topic: str, event_type: str, payload: dict, delivery: Delivery | None) -> LiveEvent:
    """Add an event to the live log (once per delivery) and publish it after commit."""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [LIVE_LOG_LOCK])
        if delivery is not None:
            existing = LiveEvent.objects.filter(delivery=delivery).first()
            if existing is not None:
                return existing  # a redelivered message: already in the log
        event = LiveEvent.objects.create(
            topic=topic, event_type=event_type, payload=payload, delivery=delivery
        )
        transaction.on_commit(lambda: publish(event))
    return event


def append_deliveries(message, deliveries: list[Delivery]) -> list[LiveEvent]:
    """One live log row per live delivery of a message, in the caller's transaction (the
    fan-out's): one commit for the whole message. Published after that commit."""
    if not deliveries:
        return []
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [LIVE_LOG_LOCK])
        payload = {"event_type": message.event_type, **message.payload}
        events = LiveEvent.objects.bulk_create(
            LiveEvent(topic=d.target, event_type=message.event_type, payload=payload, delivery=d)
            for d in deliveries
        )
    transaction.on_commit(lambda: [publish(event) for event in events])
    return events


class LiveChannel:
    def send(self, delivery: Delivery) -> SendResult:
        message = delivery.message
        append(
            topic=delivery.target,
            event_type=message.event_type,
            payload={"event_type": message.event_type, **message.payload},
            delivery=delivery,
        )
        return SendResult(True)
