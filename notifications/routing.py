"""Who hears of a message: the deliveries one outbox message fans out to."""

from django.utils import timezone

from notifications.catalogue import spec_for
from notifications.models import ContactPreference, Delivery, OutboxMessage, WebhookEndpoint

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
    opted_out = (
        bool(order.get("email")) and not spec.essential and not wants_non_essential(order["email"])
    )
    skipped = {"status": Delivery.Status.SKIPPED, "last_error": "opted out"} if opted_out else {}
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


def wants_non_essential(email: str) -> bool:
    preference = ContactPreference.objects.filter(email__iexact=email).first()
    return preference is None or preference.wants_non_essential
