"""The return's own page: where it is (a journey and the timeline), what it brings (the estimate
against what went back), the label, the exchange order, cancelling while it has not shipped, and
the live stream that tells the page when the return changed (its own topic only)."""

from asgiref.sync import sync_to_async
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods

from notifications import selectors as live_selectors
from notifications import streams
from notifications.models import LiveEvent
from notifications.routing import return_topic
from oms.actors import Actor
from oms.exceptions import InvalidTransition
from orders import links
from returns import labels, selectors
from returns.models import ReturnEvent, ReturnRequest, ReturnStatus
from returns.portal import access
from returns.portal.views.common import page, portal_view
from returns.services import transitions

S = ReturnStatus
# Statuses whose parcel is still to be sent or on its way: the label is useful.
ENDED_WITHOUT_RESOLUTION = frozenset({S.REJECTED, S.CANCELLED, S.EXPIRED})
STEP_OF_STATUS = {
    S.REQUESTED: 0,
    S.APPROVED: 1,
    S.IN_TRANSIT: 2,
    S.RECEIVED: 3,
    S.INSPECTED: 3,
    S.REFUNDED: 4,
    S.CREDITED: 4,
    S.EXCHANGED: 4,
    S.CLOSED: 4,
}
RESOLVED_LABEL = {
    "refund": _("Refunded"),
    "store_credit": _("Credited"),
    "exchange": _("Exchanged"),
}
# What the customer sees of the timeline: staff notes stay in the console.
CUSTOMER_EVENTS = [t for t in ReturnEvent.Type.values if t != ReturnEvent.Type.NOTE]


def _journey(return_request: ReturnRequest) -> dict:
    if return_request.is_keep_it:
        keys = [("requested", _("Requested")), ("approved", _("Approved"))]
    else:
        keys = [
            ("requested", _("Requested")),
            ("approved", _("Approved")),
            ("in_transit", _("On its way")),
            ("received", _("Received")),
        ]
    keys.append(("resolved", RESOLVED_LABEL.get(return_request.resolution, _("Done"))))
    current = STEP_OF_STATUS.get(return_request.status, 0)
    current = min(current, len(keys) - 1)  # a keep-it return skips the parcel's steps
    last = len(keys) - 1
    steps = [
        {"key": key, "label": label, "state": _state(index, current, last)}
        for index, (key, label) in enumerate(keys)
    ]
    return {
        "steps": steps,
        "count": len(keys),
        "percent": round(100 * current / last),
        "has_ended": return_request.status in ENDED_WITHOUT_RESOLUTION,
    }


def _state(index: int, current: int, last: int) -> str:
    if index < current or index == current == last:  # the last step reached is done, not due
        return "done"
    return "current" if index == current else "todo"


def _return_context(request: HttpRequest, rma: str) -> dict:
    # Read before the return: a change committed in between is then streamed, never lost.
    after = live_selectors.latest_live_event_id()
    found = access.return_for(request, rma)
    return_request = selectors.get_return(found.rma)
    events = [e for e in return_request.events.all() if e.type in CUSTOMER_EVENTS]
    acknowledged = next(
        (e for e in events if e.type == ReturnEvent.Type.WITHDRAWAL_ACKNOWLEDGED), None
    )
    exchange_order = return_request.exchange_order
    return {
        "return": return_request,
        "order": return_request.order,
        "lines": list(return_request.lines.all()),
        "events": list(reversed(events)),
        "journey": _journey(return_request),
        "has_label": return_request.has_label,
        "acknowledged_at": acknowledged.created_at if acknowledged else None,
        "exchange_tracking_url": (
            links.tracking_url(exchange_order.number) if exchange_order else None
        ),
        "after": after,
    }


@portal_view
@require_GET
def return_status(request: HttpRequest, rma: str) -> HttpResponse:
    return page(request, "return.html", _return_context(request, rma))


@portal_view
@require_GET
def return_fragment(request: HttpRequest, rma: str) -> HttpResponse:
    """The live part of the return page, re-fetched when its stream says the return changed."""
    return page(request, "_return_status.html", _return_context(request, rma))


@portal_view
@require_GET
def label(request: HttpRequest, rma: str) -> HttpResponse:
    """The printable return label (PDF), while the parcel is still to be sent."""
    return_request = access.return_for(request, rma)
    if not return_request.has_label:
        raise Http404("Not found")
    response = HttpResponse(labels.render_label_pdf(return_request), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{return_request.rma}.pdf"'
    response["Cache-Control"] = "private, no-store"
    response["X-Robots-Tag"] = "noindex"
    return response


@portal_view
@require_http_methods(["GET", "POST"])
def cancel(request: HttpRequest, rma: str) -> HttpResponse:
    """GET: are you sure? POST: cancel the return (before its parcel is on the way)."""
    return_request = access.return_for(request, rma)
    status_url = reverse("returns-status", kwargs={"rma": return_request.rma})
    error = None
    if request.method == "POST" and return_request.is_cancellable:
        try:
            transitions.cancel_return(
                return_request=return_request,
                actor=Actor.for_customer(return_request.order.customer),
                reason="cancelled by the customer in the returns portal",
            )
        except InvalidTransition as exc:
            error = exc.message
        else:
            return redirect(status_url)
    if not return_request.is_cancellable and error is None:
        return redirect(status_url)  # already cancelled, or on its way: nothing to confirm
    context = {"return": return_request, "order": return_request.order, "error": error}
    return page(request, "cancel.html", context, status=409 if error else 200)


def customer_event(event: LiveEvent) -> dict:
    """What the customer's browser is told: that the return changed, and its status."""
    return_ = event.payload.get("return") or {}
    return {
        "event_type": event.event_type,
        "return": {"rma": return_.get("rma"), "status": return_.get("status")},
    }


async def return_events(request: HttpRequest, rma: str) -> HttpResponse:
    """Server-sent events for this return's topic, and no other."""
    return_request = await sync_to_async(access.return_for)(request, rma)
    try:
        after = streams.last_event_id(request)
    except streams.BadStreamRequest as exc:
        return HttpResponseBadRequest(str(exc), content_type="text/plain")
    await streams.release_request_connections()
    return streams.event_stream_response(
        streams.event_stream(
            [return_topic(return_request.rma)],
            after,
            present=customer_event,
            event_name="return",
            max_seconds=streams.STREAM_MAX_SECONDS,
        )
    )
