"""Feedback's API under /api/v1/: reviews and rating aggregates for the storefront, referrals."""

from django.urls import include, path

urlpatterns = [
    path("", include("feedback.api.review_urls")),
    path("", include("feedback.api.referral_urls")),
]
