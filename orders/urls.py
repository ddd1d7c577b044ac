from django.urls import path

from orders import views

urlpatterns = [
    path("track/<str:token>/", views.track_order, name="track-order"),
]
