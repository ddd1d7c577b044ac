"""Server-sent event streams for staff: the live log's "staff" topic and the orders they follow.

Who may listen: any active staff user or console user (permission support.use_console). The
staff topic carries order and shipment events for the whole shop, which every role's console
shows (queues, timelines); what a role may *do* is decided where it acts, not here. Everyone
else gets 403.
"""

import re

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.utils.translation import gettext as _

from notifications import streams
from notifications.routing import STAFF_TOPIC, order_topic

MAX_ORDERS_PER_STREAM = 20
ORDER_NUMBER = re.compile(r"^[A-Za-z0-9-]{1,20}$")


async def _may_listen(user) -> bool:
    """Staff users and console users (a console role may be given without admin access)."""
    return user.is_staff or await user.ahas_perm("support.use_console")


async def staff_stream(request: HttpRequest) -> HttpResponse:
    """The staff topic (every order and shipment event), or with `?order=<number>` (repeatable)
    only those orders' topics, for a page about them: each order event is logged on both the
    staff topic and its order's, so listening to both would bring every change twice."""
    user = await request.auser()
    if not (user.is_authenticated and user.is_active and await _may_listen(user)):
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
    # `?as=live` names every message "live" (the type stays in its data): the console listens
    # to one name instead of keeping a list of every event type in step with the catalogue.
    event_name = "live" if request.GET.get("as") == "live" else None
    return streams.event_stream_response(
        streams.event_stream(
            topics, after, max_seconds=streams.STREAM_MAX_SECONDS, event_name=event_name
        )
    )
