"""Tasks that ask for reviews and surveys when their time has come."""

from celery import shared_task

from feedback.services import requests


@shared_task
def send_feedback_requests() -> dict[str, int]:
    """Every 10 minutes (beat): schedule the requests of newly delivered orders and resolved
    returns, send the due ones, retire expired links. Safe to run twice, or on two workers at
    once: a request exists once per order or return, and is sent under its row lock."""
    return {
        "scheduled": requests.schedule_review_requests() + requests.schedule_return_surveys(),
        "sent": requests.send_due_requests(),
        "expired": requests.expire_requests(),
    }
