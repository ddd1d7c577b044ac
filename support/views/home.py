"""The console start page: the queues (open cases, approvals, flagged orders), live counts."""

from django.http import HttpResponse
from django.shortcuts import render
from django.urls import path

from support.access import can, console_view
from support.selectors import queues as selectors


def _context(request, queues: selectors.Queues) -> dict:
    return {"queues": queues, "nav": "home", "can_approve": can(request.user, "approve_requests")}


@console_view("use_console")
def home(request):
    return render(request, "support/home/home.html", _context(request, selectors.get_queues()))


@console_view("use_console")
def queue_counts(request):
    """The queue cards (refreshed live on the home page), or with `?format=badge` only the
    number for the top bar's badge: empty when nothing waits."""
    if request.GET.get("format") == "badge":
        counts = selectors.get_queue_counts()
        total = counts.total(include_approvals=can(request.user, "approve_requests"))
        return HttpResponse(str(total) if total else "", content_type="text/plain; charset=utf-8")
    return render(
        request, "support/home/home.html#queues", _context(request, selectors.get_queues())
    )


@console_view("use_console")
def flagged_orders(request):
    """Orders needing attention, with a carrier exception, or on hold; one reason or all."""
    reason = request.GET.get("reason")
    if reason not in selectors.FlagReason.ALL:
        reason = None
    context = {
        **_context(request, selectors.get_queue_counts()),
        "reason": reason,
        "rows": selectors.list_flagged(reason),
        "limit": selectors.FLAGGED_PAGE,
    }
    return render(request, "support/home/flagged.html", context)


urlpatterns = [
    path("", home, name="home"),
    path("queues/counts/", queue_counts, name="queue-counts"),
    path("flagged/", flagged_orders, name="flagged-orders"),
]
