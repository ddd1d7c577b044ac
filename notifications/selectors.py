"""Reads of the notifications app that other apps and pages share."""

from django.db.models import QuerySet

from notifications.models import Delivery, LiveEvent


def deliveries_for(aggregate_type: str, aggregate_id: str) -> QuerySet[Delivery]:
    """Every message sent (or skipped, or given up on) about one order, newest first; live
    updates excluded: they are not messages a person receives."""
    return (
        Delivery.objects.filter(aggregate_type=aggregate_type, aggregate_id=aggregate_id)
        .exclude(channel=Delivery.Channel.LIVE)
        .order_by("-created_at", "-pk")
    )


def live_events_after(topics: list[str], after_id: int, limit: int = 100) -> list[LiveEvent]:
    """Committed live events on these topics with an id above `after_id`, oldest first."""
    return list(LiveEvent.objects.filter(topic__in=topics, pk__gt=after_id).order_by("pk")[:limit])


def live_events_after_any(after_id: int, limit: int) -> list[LiveEvent]:
    """Committed live events on every topic after `after_id`, oldest first."""
    return list(LiveEvent.objects.filter(pk__gt=after_id).order_by("pk")[:limit])


def latest_live_event_id() -> int:
    last = LiveEvent.objects.order_by("-pk").values_list("pk", flat=True).first()
    return last or 0
