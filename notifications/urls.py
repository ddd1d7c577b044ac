"""Pages and streams of the notifications app (HTML and server-sent events, not the API)."""

from django.urls import path

from notifications import preference_views, views

urlpatterns = [
    path("events/stream/", views.staff_stream, name="staff-stream"),
    path("preferences/<str:token>/", preference_views.preferences, name="contact-preferences"),
]
