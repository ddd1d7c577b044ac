"""Periodic jobs of the insights app. Thin: each calls one service."""

from celery import shared_task

from insights import services


@shared_task
def run_detection() -> list[int]:
    """Every 15 minutes (beat): raise, update or resolve early-warning alerts. Safe to run twice:
    a second run at the same moment finds the alerts already in line."""
    return [alert.pk for alert in services.run_detection()]
