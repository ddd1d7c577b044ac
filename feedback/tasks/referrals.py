"""Tasks that reward referrals once the friend's first order is delivered."""

from celery import shared_task

from feedback.services import referrals


@shared_task
def reward_referrals() -> dict[str, int]:
    """Beat: reward the pending referrals whose friend's first order was delivered (both
    parties' store credit, one email each), void those whose first order was cancelled or fully
    returned. Safe to run twice or on two workers at once: each referral is decided under its
    row lock, and the credits are idempotent by reference."""
    return referrals.reward_referrals()
