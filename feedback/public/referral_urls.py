"""The referral landing page (/r/<code>/)."""

from django.urls import path

from feedback.public import referral_views

urlpatterns = [
    path("r/<str:code>/", referral_views.landing, name="referral-landing"),
]
