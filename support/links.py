"""Signed, expiring links to a resolved case's satisfaction survey, for customers without an
account (the same pattern as orders.links)."""

from django.conf import settings
from django.core import signing
from django.urls import reverse

SURVEY_SALT = "oms.case-survey"
SURVEY_LINK_MAX_AGE = 60 * 60 * 24 * 14  # seconds: 14 days, while the contact is remembered


class SurveyLinkExpired(Exception):
    """The link was genuine but is too old to answer."""


def survey_token(case_id: int) -> str:
    return signing.TimestampSigner(salt=SURVEY_SALT).sign(str(case_id))


def case_id_from_token(token: str) -> int | None:
    """The case a survey token was made for; None if forged. Raises SurveyLinkExpired when the
    signature is genuine but older than SURVEY_LINK_MAX_AGE."""
    signer = signing.TimestampSigner(salt=SURVEY_SALT)
    try:
        value = signer.unsign(token, max_age=SURVEY_LINK_MAX_AGE)
    except signing.SignatureExpired:
        raise SurveyLinkExpired from None
    except signing.BadSignature:
        return None
    return int(value) if value.isdigit() else None


def survey_url(case_id: int) -> str:
    path = reverse("case-survey", kwargs={"token": survey_token(case_id)})
    return settings.OMS_PUBLIC_URL.rstrip("/") + path
