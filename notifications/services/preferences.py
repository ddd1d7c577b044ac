"""What each email address agreed to receive, as the customer sets it in the preference centre.

Two levels: "nothing non-essential" (ContactPreference.wants_non_essential) silences every
optional message; below it each topic of notifications.catalogue.TOPICS is turned off one by
one (ContactPreference.opted_out_topics). Transactional messages have no topic and are sent
whatever either says."""

import logging

from django.db import transaction

from notifications.catalogue import TOPICS
from notifications.models import ContactPreference

logger = logging.getLogger(__name__)

GLOBAL_OPT_OUT = "opted out"


def preference_for(email: str) -> ContactPreference | None:
    if not email:
        return None
    return ContactPreference.objects.filter(email__iexact=email.strip()).first()


def opt_out_reason(email: str, topic: str = "", *, essential: bool = False) -> str:
    """Why a message of this topic must not go to the address ("" when it may). Transactional
    (essential) messages always may. One query."""
    if essential or not email:
        return ""
    preference = preference_for(email)
    return reason_for(preference, topic)


def reason_for(preference: ContactPreference | None, topic: str = "") -> str:
    if preference is None:
        return ""
    if not preference.wants_non_essential:
        return GLOBAL_OPT_OUT
    if topic and topic in (preference.opted_out_topics or []):
        return f"{GLOBAL_OPT_OUT}: {topic}"
    return ""


def wants_topic(email: str, topic: str = "") -> bool:
    """Whether the address receives non-essential messages of `topic` (any topic if blank)."""
    return not opt_out_reason(email, topic)


def wants_non_essential(email: str) -> bool:
    preference = preference_for(email)
    return preference is None or preference.wants_non_essential


@transaction.atomic
def set_preference(
    *, email: str, wants_non_essential: bool, opted_out_topics: list[str] | None = None
) -> ContactPreference:
    """Record whether the address receives non-essential messages at all and, when given,
    which topics it turned off (unknown topic names are dropped; stored in TOPICS order).
    Transactional messages (confirmation, shipping, delivery, cancellation, refunds) are sent
    whatever this says. One row per address, whatever its case."""
    email = email.strip().lower()
    values: dict = {"wants_non_essential": wants_non_essential}
    if opted_out_topics is not None:
        chosen = set(opted_out_topics)
        values["opted_out_topics"] = [topic for topic in TOPICS if topic in chosen]
    preference, _ = ContactPreference.objects.update_or_create(
        email__iexact=email, defaults=values, create_defaults={"email": email, **values}
    )
    logger.info(
        "notifications.preference_set",
        extra={
            "preference_id": preference.pk,
            "wants_non_essential": wants_non_essential,
            "opted_out_topics": preference.opted_out_topics,
        },
    )
    return preference
