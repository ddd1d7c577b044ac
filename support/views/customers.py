"""Customer 360."""

from django.http import Http404
from django.shortcuts import render
from django.urls import path

from oms.exceptions import NotFound
from support import panels
from support.access import can, console_view
from support.selectors import customers as selectors


@console_view("use_console")
def customer_detail(request, customer_id):
    """Profile, lifetime value, orders, cases, messages sent, store credit and flags.
    `?orders=all` lists every order (up to a cap) instead of the newest few."""
    all_orders = request.GET.get("orders") == "all"
    try:
        view = selectors.get_customer_360(customer_id, all_orders=all_orders)
    except NotFound as exc:
        raise Http404(str(exc)) from None
    context = {
        "view": view,
        "customer": view.customer,
        "all_orders": all_orders,
        "orders_max": selectors.ORDERS_MAX,
        "can_place_orders": can(request.user, "place_orders"),
        "nav": "customers",
        "extra_panels": panels.customer_panels(view.customer, request.user),
    }
    return render(request, "support/customers/detail.html", context)


urlpatterns = [
    path("customers/<int:customer_id>/", customer_detail, name="customer-detail"),
]
