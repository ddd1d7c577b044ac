"""Periodic jobs of the returns app. Thin: each calls one service and is safe to run twice."""

from celery import shared_task

from returns.services import transitions


@shared_task
def expire_returns() -> int:
    """Approved returns never handed to the carrier by their deadline expire."""
    return transitions.expire_returns()
