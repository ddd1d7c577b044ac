"""F1's builders: delivered orders asked for feedback through the real services, their links,
and the photos and forms the customer sends back."""

import io
import re
from datetime import timedelta

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from feedback import links
from feedback.models import FeedbackRequest
from feedback.services import requests
from orders.models import Order
from returns.services import transitions
from tests.returns.lifecycle_builders import (
    ACTOR,
    delivered_order,
    request,
    store_policy,
    wanted,
)

__all__ = ["ACTOR", "delivered_order", "store_policy", "wanted"]

JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64
GIF = b"GIF89a" + b"\x00" * 64


def after_delay(days: int = 8):
    """A moment past the default 7-day delay of an order delivered a day ago."""
    return timezone.now() + timedelta(days=days)


def asked(order: Order, *, now=None) -> FeedbackRequest:
    """Schedule and send the order's review request, as the periodic task does."""
    now = now or after_delay()
    requests.schedule_review_requests(now=now)
    requests.send_due_requests(now=now)
    return FeedbackRequest.objects.get(kind=FeedbackRequest.Kind.REVIEW, order=order)


def rejected_return(order: Order, sku: str = "TEE-M"):
    """A return of one unit of `sku`, rejected by a rep: resolved, so it gets its survey."""
    store_policy()
    return_request = request(order, wanted(order, sku, 1, "other"))
    return transitions.reject_return(return_request=return_request, actor=ACTOR, reason="Worn")


def asked_about_return(order: Order, sku: str = "TEE-M") -> FeedbackRequest:
    return_request = rejected_return(order, sku)
    requests.schedule_return_surveys()
    requests.send_due_requests()
    return FeedbackRequest.objects.get(
        kind=FeedbackRequest.Kind.RETURN_SURVEY, return_request=return_request
    )


def token(feedback_request: FeedbackRequest) -> str:
    return links.request_token(feedback_request.pk, feedback_request.nonce)


def photo(content: bytes = JPEG, name: str = "photo.jpg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, io.BytesIO(content).getvalue(), content_type="image/jpeg")


def feedback_link(text: str) -> str:
    """The feedback page's path in an email (the token is signed at rendering, so it differs
    from one signed a second later: read it from the email)."""
    match = re.search(r"https?://[^/\s]+(/feedback/(?:return/)?[^/\s?\"]+/)", text)
    assert match, text
    return match.group(1)
