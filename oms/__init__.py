"""The OMS project package: settings, urls, ASGI/WSGI entry points, the Celery app and the
cross-cutting pieces every app shares (actors, domain errors, API clients, idempotency)."""

from oms.celery import app as celery_app

__all__ = ["celery_app"]
