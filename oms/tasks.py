"""Periodic housekeeping for the shared platform tables."""

from celery import shared_task

from oms import services


@shared_task
def purge_expired_idempotency_keys() -> int:
    return services.purge_expired_idempotency_keys()
