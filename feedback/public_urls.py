"""Feedback's public pages (no account): review and survey links, referral landing."""

from django.urls import include, path

urlpatterns = [
    path("", include("feedback.public.request_urls")),
    path("", include("feedback.public.referral_urls")),
]
