"""Who hears of a message: the deliveries one outbox message fans out to."""

from django.utils import timezone

from notifications.catalogue import spec_for
from notifications.models import Delivery, OutboxMessage, WebhookEndpoint
from notifications.services.preferences import opt_out_reason
from notifications.services.preferences import wants_non_essential as wants_non_essential

STAFF_TOPIC = "staff"


def order_topic(number: str) -> str:
    return f"order:{number}"


def return_topic(rma: str) -> str:
    """A return's own stream: the customer's return status page listens to it alone."""
    return f"return:{rma}"


def plan_deliveries(message: OutboxMessage) -> list[Delivery]:
    """Unsaved deliveries for every channel this message goes to."""
    spec = spec_for(message.event_type)
    order = message.payload.get("order") or {}
    now = timezone.now()

    def delivery(channel: str, target: str, **extra) -> Delivery:
        return Delivery(
            message=message,
            channel=channel,
            target=target,
            event_type=message.event_type,
            aggregate_type=message.aggregate_type,
            aggregate_id=message.aggregate_id,
            next_attempt_at=now,
            **extra,
        )

    deliveries: list[Delivery] = []
    # A message carrying a secret for the customer's inbox (the portal's access code) goes by
    # email alone: live events are readable by every console user and webhooks leave the store.
    if spec.live:
        deliveries.append(delivery(Delivery.Channel.LIVE, STAFF_TOPIC))
        if order.get("number"):
            deliveries.append(delivery(Delivery.Channel.LIVE, order_topic(order["number"])))
        return_ = message.payload.get("return") or {}
        if return_.get("rma"):
            deliveries.append(delivery(Delivery.Channel.LIVE, return_topic(return_["rma"])))
    # The preference centre speaks for the order's email address on every channel (the SMS to
    # the order's phone too): "nothing non-essential" first, then the event's topic.
    reason = opt_out_reason(order.get("email") or "", spec.topic, essential=spec.essential)
    skipped = {"status": Delivery.Status.SKIPPED, "last_error": reason} if reason else {}
    # The change's author may know the customer has been told already (a declined checkout).
    tells_customer = (message.payload.get("event") or {}).get("notify_customer", True)
    if spec.email and order.get("email") and tells_customer:
        deliveries.append(delivery(Delivery.Channel.EMAIL, order["email"].lower(), **skipped))
    if spec.sms and order.get("phone") and tells_customer:
        deliveries.append(delivery(Delivery.Channel.SMS, order["phone"], **skipped))
    if not spec.webhook:
        return deliveries
    for endpoint in WebhookEndpoint.objects.filter(is_active=True):
        if endpoint.wants(message.event_type):
            deliveries.append(
                delivery(Delivery.Channel.WEBHOOK, str(endpoint.pk), endpoint=endpoint)
            )
    return deliveries
