"""Signed, expiring links that let a customer without an account follow their own order."""

from django.conf import settings
from django.core import signing
from django.urls import reverse

TRACKING_SALT = "oms.order-tracking"
TRACKING_LINK_MAX_AGE = 60 * 60 * 24 * 90  # seconds: 90 days, beyond any delivery and return


def tracking_token(order_number: str) -> str:
    return signing.TimestampSigner(salt=TRACKING_SALT).sign(order_number)


def order_number_from_token(token: str) -> str | None:
    """The order number a tracking token was made for, or None if forged or expired."""
    try:
        return signing.TimestampSigner(salt=TRACKING_SALT).unsign(
            token, max_age=TRACKING_LINK_MAX_AGE
        )
    except signing.BadSignature:
        return None


def tracking_url(order_number: str) -> str:
    path = reverse("track-order", kwargs={"token": tracking_token(order_number)})
    return settings.OMS_PUBLIC_URL.rstrip("/") + path
