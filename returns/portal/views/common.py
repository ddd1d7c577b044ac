"""What every portal page shares: the layout's context, the headers of a personal page, and
one "not found" page for every refusal (an order or a return that is not this browser's looks
exactly like one that does not exist)."""

from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.cache import add_never_cache_headers

from returns.policy import zones


def page(
    request: HttpRequest, template: str, context: dict | None = None, *, status: int = 200
) -> HttpResponse:
    """Render a portal template: dates in the customer's time zone, never cached (it shows one
    customer's order), kept out of search engines."""
    context = {"store_name": getattr(settings, "OMS_STORE_NAME", ""), **(context or {})}
    order = context.get("order")
    zone = zones.customer_time_zone(order) if order is not None else None
    with timezone.override(zone):
        response = render(request, f"returns/portal/{template}", context, status=status)
    add_never_cache_headers(response)
    response["X-Robots-Tag"] = "noindex"
    return response


def not_found(request: HttpRequest) -> HttpResponse:
    return page(request, "not_found.html", status=404)


def portal_view(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Answer every Http404 of the view with the portal's own "not found" page."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except Http404:
            return not_found(request)

    return wrapper
