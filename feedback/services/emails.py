"""What feedback request emails need besides their payload: the customer's signed link to the
request's page, added when the email is rendered (never stored in the outbox payload)."""

from typing import Any

from django.conf import settings

from feedback import links
from feedback.models import FeedbackRequest
from notifications.models import OutboxMessage

REQUEST_EVENTS = {
    "feedback.review_requested": links.review_url,
    "feedback.return_survey_requested": links.return_survey_url,
}


def request_email_context(message: OutboxMessage) -> dict[str, Any]:
    """`feedback_url` (the request's signed link) and `link_valid_days` for request emails; {}
    for every other message."""
    make_url = REQUEST_EVENTS.get(message.event_type)
    if make_url is None:
        return {}
    event = message.payload.get("event") or {}
    request_id = event.get("request_id")
    nonce = (
        FeedbackRequest.objects.filter(pk=request_id).values_list("nonce", flat=True).first()
        if isinstance(request_id, int)
        else None
    )
    return {
        "feedback_url": make_url(request_id, nonce) if nonce else "",
        "link_valid_days": max(1, settings.OMS_FEEDBACK_LINK_VALID_FOR.days),
    }
