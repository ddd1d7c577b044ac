"""What each email address agreed to receive, as the customer sets it in the preference centre."""

import logging

from django.db import transaction

from notifications.models import ContactPreference

logger = logging.getLogger(__name__)


@transaction.atomic
def set_preference(*, email: str, wants_non_essential: bool) -> ContactPreference:
    """Record whether the address receives non-essential messages (out for delivery).
    Transactional messages (confirmation, shipping, delivery, cancellation, refunds) are sent
    whatever this says. One row per address, whatever its case."""
    email = email.strip().lower()
    preference, _ = ContactPreference.objects.update_or_create(
        email__iexact=email,
        defaults={"wants_non_essential": wants_non_essential},
        create_defaults={"email": email, "wants_non_essential": wants_non_essential},
    )
    logger.info(
        "notifications.preference_set",
        extra={"preference_id": preference.pk, "wants_non_essential": wants_non_essential},
    )
    return preference
