from django.urls import path

from orders import payment_views, views

urlpatterns = [
    path("track/<str:token>/", views.track_order, name="track-order"),
    path("track/<str:token>/fragment/", views.track_order_fragment, name="track-order-fragment"),
    path("track/<str:token>/events/", views.track_order_events, name="track-order-events"),
    path("pay/<str:token>/", payment_views.pay_order, name="pay-order"),
    path("pay/<str:token>/done/", payment_views.pay_order_done, name="pay-order-done"),
]
