"""Server-sent event streams for staff: the live log's "staff" topic and the orders they follow.

Who may listen: any active staff user, whatever their console role. The staff topic carries
order and shipment events for the whole shop, which every role's console shows (queues,
timelines); what a role may *do* is decided where it acts, not here. Everyone else gets 403.
"""

import re

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.utils.translation import gettext as _

from notifications import streams
from notifications.routing import STAFF_TOPIC, order_topic

MAX_ORDERS_PER_STREAM = 20
ORDER_NUMBER = re.compile(r"^[A-Za-z0-9-]{1,20}$")


async def staff_stream(request: HttpRequest) -> HttpResponse:
    """The staff topic (every order and shipment event), or with `?order=<number>` (repeatable)
    only those orders' topics, for a page about them: each order event is logged on both the
    staff topic and its order's, so listening to both would bring every change twice."""
    user = await request.auser()
    if not (user.is_authenticated and user.is_active and user.is_staff):
        return HttpResponse(_("Staff only."), status=403, content_type="text/plain")
    numbers = request.GET.getlist("order")
    if len(numbers) > MAX_ORDERS_PER_STREAM or not all(ORDER_NUMBER.match(n) for n in numbers):
        return HttpResponseBadRequest(
            _("order must be up to %(count)d order numbers.") % {"count": MAX_ORDERS_PER_STREAM},
            content_type="text/plain",
        )
    try:
        after = streams.last_event_id(request)
    except streams.BadStreamRequest as exc:
        return HttpResponseBadRequest(str(exc), content_type="text/plain")
    topics = [order_topic(number) for number in dict.fromkeys(numbers)] or [STAFF_TOPIC]
    await streams.release_request_connections()
    return streams.event_stream_response(
        streams.event_stream(topics, after, max_seconds=streams.STREAM_MAX_SECONDS)
    )
