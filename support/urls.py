"""The console's URLs, mounted at /console/. Each views module lists its own routes; the
assisted-placement routes come before the order page's so `orders/new/` is not an order."""

from support.views import (
    adjustments,
    auth,
    cases,
    customers,
    home,
    order_actions,
    orders,
    placement,
    returns,
    search,
)

app_name = "console"

urlpatterns = [
    *auth.urlpatterns,
    *home.urlpatterns,
    *search.urlpatterns,
    *customers.urlpatterns,
    *placement.urlpatterns,
    *order_actions.urlpatterns,
    *adjustments.urlpatterns,
    *orders.urlpatterns,
    *cases.urlpatterns,
    *returns.urlpatterns,
]
