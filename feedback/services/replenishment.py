"""Reminders to reorder consumables: one per delivered line of a ConsumableProduct, due when the
units bought should run out (delivered + interval x quantity), skipped when the customer
reordered in the meantime, returned the units or turned the topic off."""

from __future__ import annotations

import logging
import statistics
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Exists, F, Max, OuterRef
from django.utils import timezone

from feedback.models import ConsumableProduct, ReplenishmentReminder
from feedback.services.recommendations import product_url
from notifications.services import outbox
from notifications.services.preferences import opt_out_reason
from orders.models import Order, OrderLine, Shipment, ShipmentLine
from orders.services.events import order_payload

logger = logging.getLogger(__name__)

EVENT = "replenishment.reminder"
TOPIC = "replenishment"
# Lines delivered longer ago than this are not scheduled any more (the first run after the
# feature goes live does not remind of last decade's purchases).
SCHEDULE_WINDOW = timedelta(days=365)
# Reorder gaps older than this do not say how fast customers run out today.
OBSERVED_HISTORY = timedelta(days=730)
BATCH = 200

Status = ReplenishmentReminder.Status


def units_kept(line: OrderLine) -> int:
    return line.quantity - line.quantity_cancelled - line.quantity_returned


def interval_days(consumable: ConsumableProduct) -> int | None:
    """Days one unit lasts: the admin's figure, else what buyers show by reordering."""
    return consumable.reorder_interval_days or consumable.observed_interval_days or None


def refresh_observed_intervals(*, now: datetime | None = None) -> int:
    """Store on each consumable the median number of days one unit lasted its buyers: for
    each customer's consecutive orders of the product, the gap divided by the units of the
    earlier order. Consumables nobody reordered keep no figure. Returns how many changed."""
    now = now or timezone.now()
    consumables = {c.product_id: c for c in ConsumableProduct.objects.all()}
    if not consumables:
        return 0
    rows = (
        OrderLine.objects.filter(
            variant__product_id__in=consumables,
            order__created_at__gte=now - OBSERVED_HISTORY,
            quantity__gt=F("quantity_cancelled"),
        )
        .exclude(order__status=Order.Status.CANCELLED)
        .values_list("variant__product_id", "order__customer_id", "order__created_at", "quantity")
        .order_by("variant__product_id", "order__customer_id", "order__created_at")
    )
    gaps: dict[int, list[float]] = {}
    previous: tuple[int, int, datetime, int] | None = None
    for product_id, customer_id, created_at, quantity in rows.iterator(chunk_size=2000):
        if previous and previous[:2] == (product_id, customer_id):
            days = (created_at - previous[2]).total_seconds() / 86400
            if days >= 1:  # two orders the same day are one purchase split in two
                gaps.setdefault(product_id, []).append(days / max(previous[3], 1))
        previous = (product_id, customer_id, created_at, quantity)
    changed = []
    for product_id, consumable in consumables.items():
        observed = gaps.get(product_id)
        value = max(1, round(statistics.median(observed))) if observed else None
        if value != consumable.observed_interval_days:
            consumable.observed_interval_days = value
            changed.append(consumable)
    ConsumableProduct.objects.bulk_update(changed, ["observed_interval_days"])
    return len(changed)


def schedule_reminders(*, now: datetime | None = None) -> int:
    """Create the reminder of every line of an active consumable delivered in the last year
    that has none yet: due at the line's delivery + interval x units kept. Consumables with no
    interval yet (none set, none observed) wait. Safe to run twice (one reminder per line).
    Returns how many were created."""
    now = now or timezone.now()
    consumables = {
        c.product_id: days
        for c in ConsumableProduct.objects.filter(is_active=True)
        if (days := interval_days(c))
    }
    if not consumables:
        return 0
    delivered = (
        ShipmentLine.objects.filter(
            shipment__status=Shipment.Status.DELIVERED,
            shipment__delivered_at__gte=now - SCHEDULE_WINDOW,
            line__variant__product_id__in=consumables,
        )
        .exclude(
            Exists(ReplenishmentReminder.objects.filter(line_id=OuterRef("line_id"))),
        )
        .values(
            "line_id",
            "line__order__customer_id",
            "line__variant__product_id",
            "line__quantity",
            "line__quantity_cancelled",
            "line__quantity_returned",
        )
        .annotate(delivered_at=Max("shipment__delivered_at"))
    )
    reminders = []
    for row in delivered:
        units = row["line__quantity"] - row["line__quantity_cancelled"]
        units -= row["line__quantity_returned"]
        if units <= 0:
            continue  # all returned: nothing to run out of
        product_id = row["line__variant__product_id"]
        reminders.append(
            ReplenishmentReminder(
                line_id=row["line_id"],
                customer_id=row["line__order__customer_id"],
                product_id=product_id,
                due_at=row["delivered_at"] + timedelta(days=consumables[product_id] * units),
            )
        )
    created = ReplenishmentReminder.objects.bulk_create(reminders, ignore_conflicts=True)
    logger.info("feedback.replenishment_scheduled", extra={"reminders": len(created)})
    return len(reminders)


def _skip_reason(reminder: ReplenishmentReminder) -> str:
    line = reminder.line
    order = line.order
    consumable = ConsumableProduct.objects.filter(product_id=reminder.product_id).first()
    if consumable is None or not consumable.is_active:
        return "not_consumable"
    if not line.variant.product.is_active:
        return "product_inactive"
    if units_kept(line) <= 0:
        return "returned"
    reordered = (
        OrderLine.objects.filter(
            order__customer_id=reminder.customer_id,
            variant__product_id=reminder.product_id,
            order__created_at__gt=order.created_at,
            quantity__gt=F("quantity_cancelled"),
        )
        .exclude(order__status=Order.Status.CANCELLED)
        .exists()
    )
    if reordered:
        return "reordered"
    reason = opt_out_reason(order.email, TOPIC)
    if reason:
        return reason[:64]
    return ""


def reminder_payload(reminder: ReplenishmentReminder) -> dict[str, Any]:
    line = reminder.line
    product = line.variant.product
    return {
        "order": order_payload(line.order),
        "event": {
            "type": "replenishment_reminder",
            "reminder_id": reminder.pk,
            "product": {
                "id": product.pk,
                "name": product.name,
                "sku": line.sku,
                "url": product_url(product),
            },
            "quantity": units_kept(line),
            "due_at": reminder.due_at,
        },
    }


@transaction.atomic
def send_reminder(reminder_id: int, *, now: datetime | None = None) -> str:
    """Send one due reminder (outbox replenishment.reminder, status sent) or mark it not sent
    with the reason: reordered since, returned, no longer a consumable, product withdrawn, or
    the customer turned reminders (or every optional message) off. Only once: the row is
    locked and a decided reminder is left alone. Returns "sent", "skipped" or "" (nothing
    to do: decided already, or not due)."""
    now = now or timezone.now()
    reminder = (
        ReplenishmentReminder.objects.select_for_update(of=("self",))
        .select_related("line__order", "line__variant__product")
        .get(pk=reminder_id)
    )
    if reminder.status != Status.SCHEDULED or reminder.due_at > now:
        return ""
    reason = _skip_reason(reminder)
    if reason:
        reminder.status, reminder.skip_reason = Status.SKIPPED, reason
        reminder.save(update_fields=["status", "skip_reason"])
        logger.info(
            "feedback.replenishment_skipped", extra={"reminder_id": reminder.pk, "reason": reason}
        )
        return "skipped"
    outbox.emit(
        EVENT,
        aggregate_type="order",
        aggregate_id=reminder.line.order.number,
        payload=reminder_payload(reminder),
    )
    reminder.status, reminder.sent_at = Status.SENT, now
    reminder.save(update_fields=["status", "sent_at"])
    return "sent"


def send_due_reminders(*, now: datetime | None = None, batch: int = BATCH) -> dict[str, int]:
    """Send (or skip) every scheduled reminder that is due, oldest first. Each one is its own
    transaction, so a failure leaves the others done; a concurrent run skips rows another run
    holds. Returns counts by outcome."""
    now = now or timezone.now()
    counts = {"sent": 0, "skipped": 0}
    due = ReplenishmentReminder.objects.filter(status=Status.SCHEDULED, due_at__lte=now)
    last_id = 0
    while True:
        ids = list(due.filter(pk__gt=last_id).order_by("pk").values_list("pk", flat=True)[:batch])
        if not ids:
            return counts
        for reminder_id in ids:
            outcome = send_reminder(reminder_id, now=now)
            if outcome:
                counts[outcome] += 1
        last_id = ids[-1]
