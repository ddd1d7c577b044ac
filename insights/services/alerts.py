"""Raising, updating and resolving early-warning alerts from detection's readings, with an
outbox message for the staff live stream and webhooks at each raise and resolution."""

import logging
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Count
from django.utils import timezone

from insights import selectors
from insights.models import Alert, AlertStatus
from insights.services.detection import Reading, SampleCache, Thresholds, detect
from notifications import services as outbox

logger = logging.getLogger(__name__)

THOUSANDTH = Decimal("0.001")


def run_detection(
    *,
    now: datetime | None = None,
    thresholds: Thresholds | None = None,
    cache: SampleCache | None = None,
) -> list[Alert]:
    """Read every warehouse's and carrier's metrics at `now` (default: now) and bring the alerts
    in line: raise one for a subject and metric clearly above its baseline (at most one
    unresolved per subject and metric, a database constraint), update it while it stays above
    `resolve_ratio` x expected, resolve it after `resolve_after` without such a reading.
    Returns the alerts this run raised, updated or resolved.

    Raising and resolving emit insights.alert_raised / insights.alert_resolved in the same
    transaction (staff live stream and webhooks; no customer is emailed). Safe to run twice and
    concurrently: open alerts are locked, and a raise that loses a race to a concurrent run is
    dropped by the constraint."""
    now = now or timezone.now()
    thresholds = thresholds or Thresholds.from_settings()
    unresolved_keys = set(
        selectors.unresolved_alerts().values_list("subject_kind", "subject_code", "metric")
    )
    alerted = {(kind, code) for kind, code, _metric in unresolved_keys}
    readings = {
        reading.key: reading
        for reading in detect(now=now, thresholds=thresholds, cache=cache, alerted=alerted)
    }
    alarming = {key for key, reading in readings.items() if reading.is_alarming}
    if not alarming and not unresolved_keys:
        return []
    changed: list[Alert] = []
    with transaction.atomic():
        unresolved = {
            (alert.subject_kind, alert.subject_code, alert.metric): alert
            for alert in selectors.unresolved_alerts().select_for_update()
        }
        for key, alert in sorted(unresolved.items()):
            reading = readings.get(key)
            if reading is not None and reading.is_elevated:
                changed.append(_update(alert, reading, now))
            elif now - alert.window_end >= thresholds.resolve_after:
                changed.append(_resolve(alert, now))
            else:
                alert.last_checked_at = now
                alert.save(update_fields=["last_checked_at"])
        for key in sorted(alarming - set(unresolved)):
            alert = _raise(readings[key], now)
            if alert is not None:
                changed.append(alert)
    return changed


def _reading_fields(reading: Reading, now: datetime) -> dict[str, Any]:
    exposed = selectors.exposed_shipments(reading.subject_kind, reading.subject_code, now=now)
    return {
        "last_checked_at": now,
        "window_start": reading.window_start,
        "window_end": reading.window_end,
        "observed_count": reading.observed,
        "expected_count": Decimal(reading.expected).quantize(THOUSANDTH),
        "volume": reading.volume,
        "observed_rate": Decimal(reading.observed_rate).quantize(THOUSANDTH),
        "baseline_rate": Decimal(reading.baseline_rate).quantize(THOUSANDTH),
        "drivers": reading.drivers,
        **exposed.aggregate(
            exposed_shipments=Count("pk"), exposed_orders=Count("order_id", distinct=True)
        ),
    }


def _raise(reading: Reading, now: datetime) -> Alert | None:
    try:
        with transaction.atomic():  # a savepoint: losing the race must not undo the others
            alert = Alert.objects.create(
                subject_kind=reading.subject_kind,
                subject_code=reading.subject_code,
                metric=reading.metric,
                status=AlertStatus.OPEN,
                raised_at=now,
                **_reading_fields(reading, now),
            )
    except IntegrityError:
        logger.info("insights.alert_raised_concurrently", extra={"subject": reading.key})
        return None
    _emit("insights.alert_raised", alert, reading)
    logger.info("insights.alert_raised", extra={"alert_id": alert.pk, "subject": reading.key})
    return alert


def _update(alert: Alert, reading: Reading, now: datetime) -> Alert:
    """The latest reading that keeps the alert open becomes its evidence."""
    fields = _reading_fields(reading, now)
    for name, value in fields.items():
        setattr(alert, name, value)
    alert.save(update_fields=list(fields))
    return alert


def _resolve(alert: Alert, now: datetime) -> Alert:
    alert.status, alert.resolved_at, alert.last_checked_at = AlertStatus.RESOLVED, now, now
    alert.save(update_fields=["status", "resolved_at", "last_checked_at"])
    _emit("insights.alert_resolved", alert, None)
    logger.info("insights.alert_resolved", extra={"alert_id": alert.pk})
    return alert


def alert_payload(alert: Alert) -> dict[str, Any]:
    """The alert part of insights.* events (catalogue version 1)."""
    return {
        "id": alert.pk,
        "subject_kind": alert.subject_kind,
        "subject_code": alert.subject_code,
        "metric": alert.metric,
        "status": alert.status,
        "raised_at": alert.raised_at,
        "resolved_at": alert.resolved_at,
        "window_start": alert.window_start,
        "window_end": alert.window_end,
        "observed_count": alert.observed_count,
        "expected_count": alert.expected_count,
        "volume": alert.volume,
        "observed_rate": alert.observed_rate,
        "baseline_rate": alert.baseline_rate,
        "drivers": alert.drivers,
        "exposed_orders": alert.exposed_orders,
        "exposed_shipments": alert.exposed_shipments,
    }


def _emit(event_type: str, alert: Alert, reading: Reading | None) -> None:
    payload: dict[str, Any] = {"alert": alert_payload(alert)}
    if reading is not None:
        payload["alert"]["p_value"] = reading.p_value
        payload["alert"]["ratio"] = reading.ratio
    outbox.emit(event_type, aggregate_type="alert", aggregate_id=alert.pk, payload=payload)
