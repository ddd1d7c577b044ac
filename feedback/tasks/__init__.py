"""Feedback's Celery tasks, one module per concern (imported here for autodiscovery)."""

from feedback.tasks import recommendations, referrals, requests  # noqa: F401
