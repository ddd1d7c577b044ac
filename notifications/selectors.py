"""Reads of the notifications app that other apps and pages share."""

from django.db.models import Prefetch, QuerySet

from notifications.models import Delivery, LiveEvent, WebhookAttempt, WebhookEndpoint
from oms.exceptions import NotFound


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


# Owner-scoped webhook reads (the API's): another client's endpoint or delivery is not found.


def list_endpoints(owner) -> QuerySet[WebhookEndpoint]:
    return WebhookEndpoint.objects.filter(owner=owner)


def get_endpoint(owner, endpoint_id: int) -> WebhookEndpoint:
    endpoint = WebhookEndpoint.objects.filter(owner=owner, pk=endpoint_id).first()
    if endpoint is None:
        raise NotFound(
            f"Webhook endpoint {endpoint_id} does not exist.", code="webhook_endpoint_not_found"
        )
    return endpoint


def list_endpoint_deliveries(endpoint: WebhookEndpoint) -> QuerySet[Delivery]:
    """The endpoint's deliveries with their attempts, in two queries whatever their number."""
    return Delivery.objects.filter(endpoint=endpoint).prefetch_related(
        Prefetch("attempts_log", queryset=WebhookAttempt.objects.order_by("-created_at", "-pk"))
    )


def get_delivery(owner, delivery_id: int) -> Delivery:
    delivery = (
        Delivery.objects.filter(
            pk=delivery_id, channel=Delivery.Channel.WEBHOOK, endpoint__owner=owner
        )
        .select_related("endpoint")
        .first()
    )
    if delivery is None:
        raise NotFound(
            f"Webhook delivery {delivery_id} does not exist.", code="webhook_delivery_not_found"
        )
    return delivery
