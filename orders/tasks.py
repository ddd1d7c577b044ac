"""Periodic jobs of the order core. Thin: each calls one service."""

from celery import shared_task
from django.conf import settings

from orders import services


@shared_task
def cancel_abandoned_orders() -> int:
    return services.cancel_abandoned_orders(older_than=settings.OMS_ABANDONED_ORDER_AFTER)


@shared_task
def resume_pending_payment_transactions() -> int:
    return services.resume_pending_transactions(older_than=settings.OMS_PAYMENT_RETRY_AFTER)


@shared_task
def apply_tracking_event(event_id: int) -> None:
    services.apply_tracking_event(event_id=int(event_id))


@shared_task
def apply_tracking_events(event_ids: list[int]) -> int:
    return services.apply_tracking_events(event_ids=[int(pk) for pk in event_ids])


@shared_task
def apply_pending_tracking_events() -> int:
    return services.apply_pending_tracking_events(older_than=settings.OMS_TRACKING_APPLY_GRACE)


@shared_task
def detect_delays() -> dict:
    return services.detect_delays()
