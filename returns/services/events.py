"""The return timeline and its outbox messages, written together in the caller's transaction.

Every step of a return is recorded three ways at once: a ReturnEvent (the return's timeline),
an OrderEvent of type return_updated (so the order's timeline shows it), and, when `notify`
names a catalogue event, an outbox message carrying the order and the return (email in the
customer's language, webhooks, the live streams of the order and of the return)."""

from typing import Any

from notifications import services as outbox
from oms.actors import Actor
from orders import money
from orders.models import OrderEvent
from orders.services import events as order_events
from returns.models import ReturnEvent, ReturnRequest


def return_payload(return_request: ReturnRequest) -> dict[str, Any]:
    """The return part of every return event's payload (catalogue version 1)."""
    currency = return_request.currency
    return {
        "rma": return_request.rma,
        "status": return_request.status,
        "resolution": return_request.resolution,
        "is_withdrawal": return_request.is_withdrawal,
        "is_instant_exchange": return_request.is_instant_exchange,
        "currency": currency,
        "estimated_total": money.quantize(return_request.estimated_total, currency),
        "refunded_amount": money.quantize(return_request.refunded_amount, currency),
        "credited_amount": money.quantize(return_request.credited_amount, currency),
        "tracking_number": return_request.tracking_number,
        "exchange_order": (
            return_request.exchange_order.number if return_request.exchange_order_id else None
        ),
    }


def record(
    return_request: ReturnRequest,
    event_type: str,
    *,
    actor: Actor,
    reason: str = "",
    data: dict[str, Any] | None = None,
    notify: str | None = None,
) -> ReturnEvent:
    """Add an entry to the return's timeline and the order's, and emit `notify` if given."""
    data = data or {}
    event = ReturnEvent.objects.create(
        return_request=return_request,
        type=event_type,
        reason=reason[:255],
        data=data,
        **actor.as_fields(),
    )
    order = return_request.order
    OrderEvent.objects.create(
        order=order,
        type=OrderEvent.Type.RETURN_UPDATED,
        reason=reason[:255],
        data={"rma": return_request.rma, "step": event_type, **data},
        **actor.as_fields(),
    )
    if notify:
        outbox.emit(
            notify,
            aggregate_type="return",
            aggregate_id=return_request.rma,
            payload={
                "order": order_events.order_payload(order),
                "return": return_payload(return_request),
                "event": {"type": event_type, "reason": reason, "actor": actor.label, **data},
            },
        )
    return event
