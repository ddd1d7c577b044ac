"""Dispatcher tasks. Thin and safe to run twice: each loads by id and calls one service."""

from celery import shared_task

from notifications.services import dispatch


@shared_task
def dispatch_message(message_id: str) -> int:
    return len(dispatch.fan_out(message_id))


@shared_task
def deliver_delivery(delivery_id: str) -> None:
    dispatch.deliver(int(delivery_id))


@shared_task
def sweep_outbox() -> dict:
    return dispatch.sweep()
