"""Telling every customer exposed to an alert, once: one message per order, on the order's
timeline, attributed to the supervisor who sent it."""

import logging
from datetime import datetime, timedelta
from itertools import batched

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from insights import selectors
from insights.models import Alert, AlertNotice, AlertStatus, AlertSubject
from oms.actors import Actor
from oms.exceptions import Conflict
from orders.models import Order, OrderEvent, Shipment, Warehouse
from orders.services import events

logger = logging.getLogger(__name__)

EVENT = "order.disruption_notice"
# A customer told about a carrier's (or warehouse's) trouble is not told again about the same
# carrier within this many days by another alert on it: the contact-rate and the delay-rate
# alert of one disruption, or a disruption that resolves and flares up again, are one story to
# the customer; a second email would only add worry.
COOLDOWN = timedelta(days=7)
BATCH = 200  # orders per transaction: a big exposure never holds one long lock


def cooldown() -> timedelta:
    return getattr(settings, "OMS_INSIGHTS_NOTICE_COOLDOWN", COOLDOWN)


def notify_exposed_customers(*, alert: Alert, actor: Actor, now: datetime | None = None) -> int:
    """Send one `order.disruption_notice` to each order exposed to the alert right now
    (selectors.exposed_orders) and record it on the order's timeline as a note by `actor`.
    Returns how many customers were told by this call.

    Never twice: an order already told about this alert (AlertNotice is unique per alert and
    order) or about the same warehouse or carrier by another alert within the cooldown is
    skipped. Each batch locks the alert row first, so two supervisors clicking at once queue
    up and the second finds everything sent. A resolved alert tells nobody: the trouble is
    over, and its exposure is no longer at risk."""
    if alert.status == AlertStatus.RESOLVED:
        raise Conflict(
            "This alert is resolved: there is nobody left to warn.", code="alert_resolved"
        )
    order_ids = list(selectors.exposed_orders(alert, now=now).values_list("pk", flat=True))
    sent = 0
    for chunk in batched(order_ids, BATCH):
        sent += _notify_batch(alert_id=alert.pk, order_ids=list(chunk), actor=actor, now=now)
    logger.info("insights.customers_notified", extra={"alert_id": alert.pk, "sent": sent})
    return sent


@transaction.atomic
def _notify_batch(
    *, alert_id: int, order_ids: list[int], actor: Actor, now: datetime | None
) -> int:
    alert = Alert.objects.select_for_update().get(pk=alert_id)
    if alert.status == AlertStatus.RESOLVED:
        return 0
    told = selectors.notified_order_ids(alert, order_ids, since=timezone.now() - cooldown())
    orders = list(
        Order.objects.filter(pk__in=set(order_ids) - told)
        .exclude(status=Order.Status.CANCELLED)
        .order_by("pk")
    )
    if not orders:
        return 0
    shipments: dict[int, list[dict]] = {order.pk: [] for order in orders}
    exposed = selectors.exposed_shipments(alert.subject_kind, alert.subject_code, now=now)
    for shipment in exposed.filter(order_id__in=list(shipments)).select_related("warehouse"):
        shipments[shipment.order_id].append(_shipment_facts(shipment))
    AlertNotice.objects.bulk_create(
        [AlertNotice(alert=alert, order=order, **actor.as_fields()) for order in orders]
    )
    subject_name = _subject_name(alert)
    for order in orders:
        events.record(
            order,
            OrderEvent.Type.NOTE,
            actor=actor,
            reason=_timeline_text(alert, subject_name),
            data={
                "kind": "disruption_notice",
                "alert": alert.pk,
                "subject_kind": alert.subject_kind,
                "subject_code": alert.subject_code,
                "subject_name": subject_name,
                "metric": alert.metric,
                "shipments": shipments[order.pk],
            },
            notify=EVENT,
        )
    alert.notified_at = alert.notified_at or timezone.now()
    alert.notified_count += len(orders)
    alert.save(update_fields=["notified_at", "notified_count"])
    return len(orders)


def _shipment_facts(shipment: Shipment) -> dict:
    return {
        "number": shipment.number,
        "status": shipment.status,
        "warehouse": shipment.warehouse.code,
        "carrier": shipment.carrier,
        "tracking_number": shipment.tracking_number,
        "estimated_delivery_date": shipment.estimated_delivery_date,
    }


def _subject_name(alert: Alert) -> str:
    """What the customer reads: the carrier's code in capitals (as emails show carriers), or
    the warehouse's name."""
    if alert.subject_kind == AlertSubject.CARRIER:
        return alert.subject_code.upper()
    warehouse = Warehouse.objects.filter(code=alert.subject_code).first()
    return warehouse.name if warehouse else alert.subject_code


def _timeline_text(alert: Alert, subject_name: str) -> str:
    where = "carrier" if alert.subject_kind == AlertSubject.CARRIER else "warehouse"
    return f"Customer told about a disruption at {where} {subject_name} (alert #{alert.pk})."
