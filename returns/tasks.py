"""Periodic jobs of the returns app. Thin: each calls one service and is safe to run twice."""

from celery import shared_task

from returns.services import portal_access, transitions


@shared_task
def expire_returns() -> int:
    """Approved returns never handed to the carrier by their deadline expire."""
    return transitions.expire_returns()


@shared_task
def purge_portal_access() -> int:
    """Old portal lookup attempts and long-expired access codes go (rate limits stay exact)."""
    return portal_access.purge_expired_access()
