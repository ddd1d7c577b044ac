"""Tasks that rebuild the product pairs and send replenishment reminders. Thin: each calls the
services; both are safe to run twice."""

from celery import shared_task

from feedback.services import recommendations, replenishment


@shared_task
def rebuild_product_pairs() -> int:
    """Daily (beat): the co-occurrence model from the last year's orders, and the consumables'
    observed reorder intervals. Returns how many pairs were written."""
    replenishment.refresh_observed_intervals()
    return recommendations.rebuild_product_pairs()


@shared_task
def send_replenishment_reminders() -> dict[str, int]:
    """Hourly (beat): schedule reminders for newly delivered consumables, then send (or skip,
    with the reason) the ones that are due. A second run finds nothing new."""
    scheduled = replenishment.schedule_reminders()
    return {"scheduled": scheduled, **replenishment.send_due_reminders()}
