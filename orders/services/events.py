"""The order timeline and its outbox messages, written together in the caller's transaction."""

from typing import Any

from notifications import services as outbox
from oms.actors import Actor
from orders import links, money
from orders.models import Order, OrderEvent


def order_payload(order: Order) -> dict[str, Any]:
    """The order part of every order event's payload (catalogue version 1)."""
    return {
        "number": order.number,
        "status": order.status,
        "channel": order.channel,
        "external_reference": order.external_reference,
        "email": order.email,
        "phone": order.phone,
        "customer_name": order.shipping_address.get("name", ""),
        "locale": order.locale,
        "currency": order.currency,
        "total": money.quantize(order.total, order.currency),
        "promised_delivery_date": order.promised_delivery_date,
        "tracking_url": links.tracking_url(order.number),
    }


def record(
    order: Order,
    event_type: str,
    *,
    actor: Actor,
    reason: str = "",
    data: dict[str, Any] | None = None,
    notify: str | None = None,
) -> OrderEvent:
    """Add an entry to the order timeline and, when `notify` names an outbox event, emit it."""
    event = OrderEvent.objects.create(
        order=order, type=event_type, reason=reason[:255], data=data or {}, **actor.as_fields()
    )
    if notify:
        outbox.emit(
            notify,
            aggregate_type="order",
            aggregate_id=order.number,
            payload={
                "order": order_payload(order),
                "event": {
                    "type": event_type,
                    "reason": reason,
                    "actor": actor.label,
                    **(data or {}),
                },
            },
        )
    return event
