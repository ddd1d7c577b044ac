"""Proactive delay: parcels with the carrier that are late against their promise, have stalled
(no scan for a while) or are in exception are flagged once, the customer is told once, and
the order goes to the console's attention queue."""

import logging
from datetime import UTC, datetime, timedelta
from functools import reduce
from operator import or_

from django.conf import settings
from django.db import transaction
from django.db.models import Case, CharField, Q, QuerySet, Value, When
from django.utils import timezone

from oms.actors import Actor
from oms.exceptions import Conflict
from orders import selectors
from orders.models import Order, OrderEvent, Shipment
from orders.models.fulfilment import WITH_CARRIER
from orders.services import events
from orders.services.fulfilment import shipment_payload

logger = logging.getLogger(__name__)

SS = Shipment.Status
REASON = Shipment.DelayReason
DELAY_WATCH = Actor.system("delay watch")
# A promised day is over once it has ended everywhere: "Anywhere on Earth" (UTC-12), the
# convention for deadlines (https://www.ieee802.org/16/aoe.html). We never tell a customer a
# parcel is late while it is still the promised day where they live.
ANYWHERE_ON_EARTH = timedelta(hours=12)
BATCH = 1000  # per run; what is left is the next run's (flagged parcels leave the watch list)


def _conditions(now: datetime) -> dict[str, Q]:
    """Each delay reason as a condition on Shipment, in order of precedence."""
    # The date it is now where the day ends last: any earlier promised day is over everywhere.
    today_everywhere = (now.astimezone(UTC) - ANYWHERE_ON_EARTH).date()
    stalled_before = now - settings.OMS_STALLED_AFTER
    return {
        REASON.EXCEPTION: Q(status=SS.EXCEPTION),
        REASON.LATE: Q(promised_delivery_date__lt=today_everywhere)
        | Q(promised_delivery_date__isnull=True, estimated_delivery_date__lt=today_everywhere),
        REASON.STALLED: Q(last_tracking_at__lt=stalled_before)
        | Q(last_tracking_at__isnull=True, shipped_at__lt=stalled_before),
    }


def delayed_shipments(*, now: datetime) -> QuerySet[Shipment]:
    """Parcels with the carrier, not flagged yet, that are late, stalled or in exception, each
    annotated with its `reason`. One set-based query over the partial index
    shipment_delay_watch_idx (see Shipment.Meta)."""
    conditions = _conditions(now)
    return (
        Shipment.objects.filter(status__in=WITH_CARRIER, delayed_at__isnull=True)
        .filter(reduce(or_, conditions.values()))
        .annotate(
            reason=Case(
                *(When(condition, then=Value(str(key))) for key, condition in conditions.items()),
                output_field=CharField(),
            )
        )
    )


def detect_delays(*, now: datetime | None = None, limit: int = BATCH) -> dict[str, int]:
    """Flag every delayed parcel once: set Shipment.delayed_at and delay_reason, record a
    "delayed" timeline entry that tells the customer (outbox: shipment.delayed), and put the
    order in the console's attention queue. Returns how many were flagged per reason.

    Safe to run twice and concurrently: each parcel is re-checked under its order's lock, so a
    parcel is flagged, and its customer told, exactly once. A flag stays when the parcel is
    delivered later: the console clears it (clear_order_attention) once someone has looked.
    """
    now = now or timezone.now()
    candidates = list(
        delayed_shipments(now=now).order_by("pk").values_list("pk", "order_id")[:limit]
    )
    flagged = dict.fromkeys(REASON.values, 0)
    for shipment_id, order_id in candidates:
        reason = _flag(shipment_id=shipment_id, order_id=order_id, now=now)
        if reason:
            flagged[reason] += 1
    if candidates:
        logger.info("orders.delays_detected", extra={"flagged": flagged})
    return flagged


@transaction.atomic
def _flag(*, shipment_id: int, order_id: int, now: datetime) -> str | None:
    order = selectors.lock_order(order_id)
    shipment = (
        delayed_shipments(now=now)
        .select_for_update(of=("self",))
        .select_related("warehouse")
        .filter(pk=shipment_id)
        .first()
    )
    if shipment is None:  # flagged by a concurrent run, or moved on meanwhile
        return None
    reason = shipment.reason
    shipment.delayed_at, shipment.delay_reason = now, reason
    shipment.save(update_fields=["delayed_at", "delay_reason", "updated_at"])
    message = _describe(shipment, reason)
    events.record(
        order,
        OrderEvent.Type.DELAYED,
        actor=DELAY_WATCH,
        reason=message,
        data={
            "shipment": shipment_payload(shipment),
            "delay_reason": reason,
            "promised_delivery_date": shipment.promised_delivery_date,
            "last_scan_at": shipment.last_tracking_at,
            "shipped_at": shipment.shipped_at,
        },
        notify="shipment.delayed",
    )
    if not order.needs_attention:  # the first reason stays; the timeline has every one
        order.needs_attention, order.attention_reason, order.attention_at = True, message, now
        order.save(
            update_fields=["needs_attention", "attention_reason", "attention_at", "updated_at"]
        )
    return reason


def _describe(shipment: Shipment, reason: str) -> str:
    if reason == REASON.EXCEPTION:
        return f"Shipment {shipment.number}: the carrier reported an exception."
    if reason == REASON.LATE:
        due = shipment.promised_delivery_date or shipment.estimated_delivery_date
        return f"Shipment {shipment.number} is late: due {due.isoformat()}, not delivered."
    since = shipment.last_tracking_at or shipment.shipped_at
    return (
        f"Shipment {shipment.number} has had no carrier scan since "
        f"{since.astimezone(UTC):%Y-%m-%d %H:%M} UTC."
    )


@transaction.atomic
def clear_order_attention(*, order: Order, actor: Actor, reason: str) -> Order:
    """Take the order out of the attention queue once someone has dealt with it."""
    order = selectors.lock_order(order.pk)
    if not order.needs_attention:
        raise Conflict(
            f"Order {order.number} is not waiting for attention.", code="attention_not_needed"
        )
    previous = order.attention_reason
    order.needs_attention, order.attention_reason, order.attention_at = False, "", None
    order.save(update_fields=["needs_attention", "attention_reason", "attention_at", "updated_at"])
    events.record(
        order,
        OrderEvent.Type.ATTENTION_CLEARED,
        actor=actor,
        reason=reason,
        data={"attention_reason": previous},
    )
    return order
