"""Customer pages of the order core: the tracking page reached by a signed link, the fragment it
re-fetches, and the live stream that tells it when (its own order's topic only)."""

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import render
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from notifications import selectors as live_selectors
from notifications import streams
from notifications.models import LiveEvent
from notifications.routing import order_topic
from oms.exceptions import NotFound
from orders import links, selectors
from orders.models import Order, Shipment

OS = Order.Status
# The customer's view of the order's journey: a step per milestone, whatever the split.
JOURNEY = [
    ("placed", _("Order placed")),
    ("preparing", _("Preparing")),
    ("shipped", _("Shipped")),
    ("out_for_delivery", _("Out for delivery")),
    ("delivered", _("Delivered")),
]
STEP_OF_STATUS = {
    OS.PENDING_PAYMENT: 0,
    OS.CONFIRMED: 0,
    OS.PROCESSING: 1,
    OS.PARTIALLY_SHIPPED: 2,
    OS.SHIPPED: 2,
    OS.PARTIALLY_DELIVERED: 3,
    OS.DELIVERED: 4,
}


def _order_number(token: str) -> str:
    number = links.order_number_from_token(token)
    if number is None:
        raise Http404(_("This tracking link is not valid or has expired."))
    return number


def _tracking_context(request: HttpRequest, token: str) -> dict:
    number = _order_number(token)
    # Read before the order: a change committed in between is then streamed, never lost.
    after = live_selectors.latest_live_event_id()
    try:
        order = selectors.get_order_for_tracking(number)
    except NotFound:
        raise Http404(_("This tracking link is not valid or has expired.")) from None
    if settings.LANGUAGE_COOKIE_NAME not in request.COOKIES:
        # Speak the language the order's emails were written in, unless the customer chose.
        translation.activate(order.locale)
        request.LANGUAGE_CODE = translation.get_language()
    shipments = list(order.shipments.all())
    return {
        "order": order,
        "shipments": shipments,
        "estimated_delivery": _estimated_delivery(order, shipments),
        "delivered_at": max((s.delivered_at for s in shipments if s.delivered_at), default=None),
        "journey": _journey(order, shipments),
        "token": token,
        "after": after,
    }


def _journey(order: Order, shipments: list[Shipment]) -> dict:
    """The progress bar: which milestones are done, which one the order is at, how far along."""
    status = order.held_from_status if order.status == OS.ON_HOLD else order.status
    current = STEP_OF_STATUS.get(status, 0)
    if current == 2 and any(s.status == Shipment.Status.OUT_FOR_DELIVERY for s in shipments):
        current = 3
    steps = [
        {
            "key": key,
            "label": label,
            "state": "done" if index < current else "current" if index == current else "todo",
        }
        for index, (key, label) in enumerate(JOURNEY)
    ]
    return {
        "steps": steps,
        "percent": round(100 * current / (len(JOURNEY) - 1)),
        "is_cancelled": order.status == OS.CANCELLED,
        "is_on_hold": order.status == OS.ON_HOLD,
    }


def _estimated_delivery(order: Order, shipments: list[Shipment]):
    """When the last parcel still on its way should arrive; the promise before any has left."""
    dates = [
        s.estimated_delivery_date
        for s in shipments
        if s.estimated_delivery_date and s.status != Shipment.Status.DELIVERED
    ]
    return max(dates) if dates else order.promised_delivery_date


def track_order(request: HttpRequest, token: str) -> HttpResponse:
    """Where the customer's order is: status, each shipment and its carrier scans, live."""
    return render(request, "orders/track.html", _tracking_context(request, token))


def track_order_fragment(request: HttpRequest, token: str) -> HttpResponse:
    """The live part of the tracking page, which the page re-fetches when its stream says so."""
    return render(request, "orders/track.html#tracking", _tracking_context(request, token))


def customer_event(event: LiveEvent) -> dict:
    """What a customer's browser is told: that their order changed and its status; nothing
    internal (hold reasons, staff names), which the full payload carries."""
    order = event.payload.get("order") or {}
    return {
        "event_type": event.event_type,
        "order": {"number": order.get("number"), "status": order.get("status")},
    }


async def track_order_events(request: HttpRequest, token: str) -> HttpResponse:
    """Server-sent events for the order the token was signed for, and no other."""
    number = _order_number(token)
    try:
        after = streams.last_event_id(request)
    except streams.BadStreamRequest as exc:
        return HttpResponseBadRequest(str(exc), content_type="text/plain")
    await streams.release_request_connections()
    return streams.event_stream_response(
        streams.event_stream(
            [order_topic(number)],
            after,
            present=customer_event,
            event_name="tracking",
            max_seconds=streams.STREAM_MAX_SECONDS,
        )
    )
