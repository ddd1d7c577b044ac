"""The order page and its live fragments."""

from functools import partial

from django.http import Http404
from django.shortcuts import render
from django.urls import path

from oms.exceptions import NotFound
from support import panels
from support.access import can, console_view
from support.selectors import orders as selectors

TEMPLATE = "support/orders/detail.html"


@console_view("use_console")
def order_detail(request, number):
    """Everything about one order. htmx `?fragment=body` answers only the page's body, which
    the page re-fetches on live events and after an action (`order:changed`)."""
    try:
        view = selectors.get_console_order(number, can=partial(can, request.user))
    except NotFound as exc:
        raise Http404(str(exc)) from None
    context = {
        "view": view,
        "order": view.order,
        "nav": "orders",
        "extra_panels": panels.order_panels(view.order, request.user),
    }
    if request.htmx and request.GET.get("fragment") == "body":
        return render(request, f"{TEMPLATE}#body", context)
    return render(request, TEMPLATE, context)


urlpatterns = [
    path("orders/<str:number>/", order_detail, name="order-detail"),
]
