"""Signed, expiring links to a feedback request's page (a review + NPS after delivery, or the
return survey), for customers without an account.

The token names the request's id and its nonce and carries the time it was signed: a forged or
tampered token (another id, another nonce) fails the signature; a genuine one is refused once
older than OMS_FEEDBACK_LINK_VALID_FOR, and the page also checks the request's own `expires_at`
and `answered_at` (feedback.services.requests.request_for_link)."""

from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.urls import reverse

REQUEST_SALT = "oms.feedback-request"


class LinkExpired(Exception):
    """The link was genuine but is too old to answer."""


@dataclass(frozen=True)
class LinkTarget:
    request_id: int
    nonce: str


def request_token(request_id: int, nonce: str) -> str:
    return signing.TimestampSigner(salt=REQUEST_SALT).sign(f"{request_id}.{nonce}")


def target_from_token(token: str) -> LinkTarget | None:
    """The request a token was made for; None if forged or mangled. Raises LinkExpired when the
    signature is genuine but older than OMS_FEEDBACK_LINK_VALID_FOR."""
    signer = signing.TimestampSigner(salt=REQUEST_SALT)
    try:
        value = signer.unsign(token, max_age=settings.OMS_FEEDBACK_LINK_VALID_FOR)
    except signing.SignatureExpired:
        raise LinkExpired from None
    except signing.BadSignature:
        return None
    request_id, _dot, nonce = value.partition(".")
    if not request_id.isdigit() or not nonce:
        return None
    return LinkTarget(int(request_id), nonce)


def _public(path: str) -> str:
    return settings.OMS_PUBLIC_URL.rstrip("/") + path


def review_url(request_id: int, nonce: str) -> str:
    """The review + NPS page of a request sent after delivery."""
    token = request_token(request_id, nonce)
    return _public(reverse("feedback-review", kwargs={"token": token}))


def return_survey_url(request_id: int, nonce: str) -> str:
    """The one-question page of a request sent after a return closed."""
    token = request_token(request_id, nonce)
    return _public(reverse("feedback-return-survey", kwargs={"token": token}))
