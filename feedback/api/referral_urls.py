"""Referral endpoints (/api/v1/referrals/)."""

urlpatterns: list = []
