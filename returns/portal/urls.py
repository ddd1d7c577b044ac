"""The customer returns portal (mounted at the site root; every path starts with returns/)."""

from django.urls import path

from returns.portal import views

urlpatterns = [
    path("returns/", views.start, name="returns-start"),
    path("returns/verify/", views.verify, name="returns-verify"),
    path("returns/access/<str:token>/", views.access_link, name="returns-access"),
    path("returns/o/<str:number>/", views.order_page, name="returns-order"),
    path("returns/o/<str:number>/estimate/", views.estimate, name="returns-estimate"),
    path(
        "returns/o/<str:number>/lines/<int:line_id>/variants/",
        views.exchange_variants,
        name="returns-variants",
    ),
    path("returns/o/<str:number>/withdraw/", views.withdraw, name="returns-withdraw"),
    path("returns/r/<str:rma>/", views.return_status, name="returns-status"),
    path("returns/r/<str:rma>/fragment/", views.return_fragment, name="returns-status-fragment"),
    path("returns/r/<str:rma>/label.pdf", views.label, name="returns-label"),
    path("returns/r/<str:rma>/cancel/", views.cancel, name="returns-cancel"),
    path("returns/r/<str:rma>/events/", views.return_events, name="returns-events"),
]
