"""Assisted order placement: a rep places an order on behalf of a customer, on one screen.

The form is its own state: choosing a customer, adding or removing a line or changing the
currency posts the form back (`intent`) and the screen is rendered again with the change, so it
works without JavaScript too; with htmx only the form is swapped, and the quote beside it is
re-priced as the rep types. Placing (`intent=place`) goes to support.services.placement."""

from django.urls import path

from support.views.placement.screen import (
    order_new,
    order_new_customers,
    order_new_quote,
    order_new_skus,
)

urlpatterns = [
    path("orders/new/", order_new, name="order-new"),
    path("orders/new/customers/", order_new_customers, name="order-new-customers"),
    path("orders/new/skus/", order_new_skus, name="order-new-skus"),
    path("orders/new/quote/", order_new_quote, name="order-new-quote"),
]
