"""Customer pages of the order core: the tracking page reached by a signed link."""

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from orders import links, selectors


def track_order(request: HttpRequest, token: str) -> HttpResponse:
    """Where the customer's order is: status, each shipment and its carrier scans."""
    number = links.order_number_from_token(token)
    if number is None:
        raise Http404("This tracking link is not valid or has expired.")
    order = selectors.get_order_for_tracking(number)
    return render(request, "orders/track.html", {"order": order, "token": token})
