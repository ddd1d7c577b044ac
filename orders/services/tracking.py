"""Carrier scans in batches: a carrier's batch stored in a few statements and applied by one task
in one transaction, for carriers that post thousands of scans a minute (one scan per request
and per task costs more in HTTP, Celery and commits than the scan itself)."""

import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from functools import partial

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from oms.actors import Actor
from oms.exceptions import NotFound
from orders.models import Order, Shipment, TrackingEvent
from orders.services import fulfilment

logger = logging.getLogger(__name__)

MAX_TRACKING_BATCH = 500  # scans per request


@dataclass(frozen=True)
class ScanInput:
    carrier: str
    tracking_number: str
    carrier_event_id: str
    status: str
    occurred_at: datetime
    location: str = ""
    description: str = ""


@dataclass
class ScanOutcome:
    """One scan of a batch: stored now (created), stored before (not created), or refused."""

    scan: ScanInput
    event: TrackingEvent | None = None
    created: bool = False
    error: NotFound | None = None
    shipment_number: str = ""


def record_tracking_events(*, scans: list[ScanInput], actor: Actor) -> list[ScanOutcome]:
    """Store a batch of scans, each as record_tracking_event(apply=False) would: a scan already
    stored (same carrier and event id, in an earlier request or earlier in this batch) is
    answered with the stored one; a scan for an unknown parcel is refused and not stored; the
    rest are inserted together and applied by one worker task after commit. Four statements
    whatever the batch's size (and a savepoint)."""
    outcomes = [ScanOutcome(scan) for scan in scans]
    with transaction.atomic():
        stored = _stored_scans(scans)
        parcels, numbers = _parcels(scans)
        numbers.update({event.shipment_id: event.shipment.number for event in stored.values()})
        new: dict[tuple[str, str], TrackingEvent] = {}
        for outcome in outcomes:
            scan = outcome.scan
            key = (scan.carrier, scan.carrier_event_id)
            if key in stored or key in new:
                outcome.event = stored.get(key) or new[key]
                outcome.shipment_number = numbers[outcome.event.shipment_id]
                continue
            shipment_id = parcels.get((scan.carrier, scan.tracking_number))
            if shipment_id is None:
                outcome.error = NotFound(
                    f"No shipment with {scan.carrier} tracking number {scan.tracking_number}.",
                    code="shipment_not_found",
                )
                continue
            new[key] = outcome.event = TrackingEvent(
                shipment_id=shipment_id,
                carrier=scan.carrier,
                carrier_event_id=scan.carrier_event_id,
                status=scan.status,
                occurred_at=scan.occurred_at,
                location=scan.location[:128],
                description=scan.description[:255],
                **actor.as_fields(),
            )
            outcome.created = True
            outcome.shipment_number = numbers[shipment_id]
        if new:
            try:
                with transaction.atomic():
                    TrackingEvent.objects.bulk_create(new.values())
            except IntegrityError:
                # A concurrent request stored one of these scans first: store them one by one,
                # each answered with whichever copy won (the single-scan rule).
                return [_record_one(outcome.scan, actor) for outcome in outcomes]
            ids = [event.pk for event in new.values()]
            transaction.on_commit(partial(_enqueue_apply, ids))
    return outcomes


def _record_one(scan: ScanInput, actor: Actor) -> ScanOutcome:
    try:
        event, created = fulfilment.record_tracking_event(
            carrier=scan.carrier,
            tracking_number=scan.tracking_number,
            carrier_event_id=scan.carrier_event_id,
            status=scan.status,
            occurred_at=scan.occurred_at,
            location=scan.location,
            description=scan.description,
            actor=actor,
            apply=False,
        )
    except NotFound as exc:
        return ScanOutcome(scan, error=exc)
    return ScanOutcome(scan, event=event, created=created)


def _stored_scans(scans: list[ScanInput]) -> dict[tuple[str, str], TrackingEvent]:
    by_carrier = defaultdict(set)
    for scan in scans:
        by_carrier[scan.carrier].add(scan.carrier_event_id)
    lookup = Q()
    for carrier, event_ids in by_carrier.items():
        lookup |= Q(carrier=carrier, carrier_event_id__in=event_ids)
    return {
        (event.carrier, event.carrier_event_id): event
        for event in TrackingEvent.objects.filter(lookup).select_related("shipment")
    }


def _parcels(scans: list[ScanInput]) -> tuple[dict[tuple[str, str], int], dict[int, str]]:
    """(carrier, tracking number) -> shipment id, and shipment id -> shipment number."""
    by_carrier = defaultdict(set)
    for scan in scans:
        by_carrier[scan.carrier].add(scan.tracking_number)
    lookup = Q()
    for carrier, numbers in by_carrier.items():
        lookup |= Q(carrier=carrier, tracking_number__in=numbers)
    parcels: dict[tuple[str, str], int] = {}
    numbers: dict[int, str] = {}
    # As the single-scan lookup, a tracking number used twice means its oldest parcel (lowest
    # id): iterating newest first, the oldest is written last.
    rows = Shipment.objects.filter(lookup).order_by("-pk")
    for pk, number, carrier, tracking_number in rows.values_list(
        "pk", "number", "carrier", "tracking_number"
    ):
        parcels[(carrier, tracking_number)] = pk
        numbers[pk] = number
    return parcels, numbers


def _enqueue_apply(event_ids: list[int]) -> None:
    """One task for the batch; if the broker is down the sweep applies the scans later."""
    from orders import tasks

    try:
        tasks.apply_tracking_events.delay(event_ids)
    except Exception as exc:  # noqa: BLE001 - any broker failure must not fail the caller
        logger.warning(
            "orders.tracking_enqueue_failed", extra={"events": len(event_ids), "error": str(exc)}
        )


def apply_tracking_events(*, event_ids: list[int]) -> int:
    """Apply stored scans as apply_tracking_event does, in one transaction: every order of the
    batch is locked first, in id order, then its shipments in id order, so a batch never waits
    in a cycle with another batch or a single apply (which takes its order, then its shipment).
    Scans already applied are left alone. Returns how many were applied."""
    with transaction.atomic():
        targets = list(
            TrackingEvent.objects.filter(pk__in=event_ids, applied_at__isnull=True).values_list(
                "shipment_id", "shipment__order_id"
            )
        )
        if not targets:
            return 0
        orders = {
            order.pk: order
            for order in Order.objects.select_for_update()
            .filter(pk__in={order_id for _, order_id in targets})
            .order_by("pk")
        }
        shipments = {
            shipment.pk: shipment
            for shipment in Shipment.objects.select_for_update(of=("self",))
            .select_related("warehouse")
            .filter(pk__in={shipment_id for shipment_id, _ in targets})
            .order_by("pk")
        }
        # Read again under the locks: another worker may have applied some meanwhile.
        scans = list(
            TrackingEvent.objects.filter(pk__in=event_ids, applied_at__isnull=True).order_by(
                "occurred_at", "pk"
            )
        )
        for event in scans:
            shipment = shipments[event.shipment_id]
            fulfilment._apply_scan(orders[shipment.order_id], shipment, event, event.actor)
        TrackingEvent.objects.filter(pk__in=[event.pk for event in scans]).update(
            applied_at=timezone.now()
        )
    return len(scans)
