"""Reads about early-warning alerts that the console, the API and the services share: the open
alerts, and who is exposed to one right now."""

from datetime import datetime, timedelta

from django.db.models import Q, QuerySet
from django.utils import timezone

from insights.models import Alert, AlertNotice, AlertStatus, AlertSubject
from orders.models import Order, Shipment

UNRESOLVED = (AlertStatus.OPEN, AlertStatus.ACKNOWLEDGED)
# A parcel still "in flight" after this long is lost, not late: nobody is told about it again.
MAX_TRANSIT = timedelta(days=30)


def unresolved_alerts() -> QuerySet[Alert]:
    """Open and acknowledged alerts, newest first."""
    return Alert.objects.filter(status__in=UNRESOLVED).order_by("-raised_at", "-id")


def open_alerts() -> QuerySet[Alert]:
    """Alerts nobody has acknowledged yet, newest first."""
    return Alert.objects.filter(status=AlertStatus.OPEN).order_by("-raised_at", "-id")


def alerts_for(subject_kind: str, subject_code: str) -> QuerySet[Alert]:
    """A warehouse's or carrier's alerts, newest first."""
    return Alert.objects.filter(subject_kind=subject_kind, subject_code=subject_code).order_by(
        "-raised_at", "-id"
    )


def exposed_shipments(
    subject_kind: str, subject_code: str, *, now: datetime | None = None
) -> QuerySet[Shipment]:
    """The subject's shipments exposed at `now` (default: now): in flight with the carrier
    (handed over, not delivered by then), and for a warehouse also those still waiting in it
    (created, not shipped by then, not cancelled). Read from timestamps, as detection does, so
    a simulated clock gives the exposure of that moment."""
    now = now or timezone.now()
    in_flight = (
        Q(shipped_at__lte=now, shipped_at__gt=now - MAX_TRANSIT)
        & (Q(delivered_at__isnull=True) | Q(delivered_at__gt=now))
        & ~Q(carrier="")
    )
    if subject_kind == AlertSubject.CARRIER:
        exposed = in_flight & Q(carrier=subject_code)
    else:
        waiting = (
            Q(created_at__lte=now, created_at__gt=now - MAX_TRANSIT)
            & (Q(shipped_at__isnull=True) | Q(shipped_at__gt=now))
            & ~Q(status=Shipment.Status.CANCELLED)
        )
        exposed = (in_flight | waiting) & Q(warehouse__code=subject_code)
    return Shipment.objects.filter(exposed).order_by("pk")


def exposed_orders(alert: Alert, *, now: datetime | None = None) -> QuerySet[Order]:
    """The open orders with a shipment exposed to the alert's warehouse or carrier right now
    (see exposed_shipments), oldest first."""
    shipments = exposed_shipments(alert.subject_kind, alert.subject_code, now=now)
    return (
        Order.objects.filter(pk__in=shipments.values("order_id"))
        .exclude(status=Order.Status.CANCELLED)
        .order_by("pk")
    )


def notified_order_ids(alert: Alert, order_ids: list[int], *, since: datetime) -> set[int]:
    """Which of these orders were told about this alert, or about another alert on the same
    warehouse or carrier since `since`."""
    same_subject = Q(
        alert__subject_kind=alert.subject_kind,
        alert__subject_code=alert.subject_code,
        created_at__gte=since,
    )
    return set(
        AlertNotice.objects.filter(Q(alert=alert) | same_subject, order_id__in=order_ids)
        .values_list("order_id", flat=True)
        .distinct()
    )
