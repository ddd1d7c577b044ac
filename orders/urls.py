from django.urls import path

from orders import views

urlpatterns = [
    path("track/<str:token>/", views.track_order, name="track-order"),
    path("track/<str:token>/fragment/", views.track_order_fragment, name="track-order-fragment"),
    path("track/<str:token>/events/", views.track_order_events, name="track-order-events"),
]
