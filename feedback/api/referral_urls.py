"""Referral endpoints (/api/v1/referrals/)."""

from django.urls import path

from feedback.api import referral_views as views

urlpatterns = [
    path("referrals/", views.ReferralCreateApi.as_view(), name="api-referrals"),
    path("referrals/code/", views.ReferralCodeApi.as_view(), name="api-referral-code"),
]
