"""The parcel's way back: carrier scans of return labels, receipt at the warehouse (per line
quantity and condition, partial receipts allowed) and inspection (restock, damaged, scrap).

Scans move an approved return to in transit; only the warehouse receives it (a "delivered"
scan at the warehouse's door is not a receipt). Receipt counts the units back on the order
(`OrderLine.quantity_returned`, under the order lock); restocked units go back on hand at the
warehouse that received them. The refund is released where the return's `refund_release`
says: first scan, receipt or inspection (returns.services.refunds decides how much)."""

import logging
from collections import Counter
from datetime import datetime

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from oms.actors import Actor
from oms.exceptions import NotFound, ValidationFailed
from orders.models import OrderLine, TrackingEvent, Warehouse
from orders.services import adjust_stock
from returns import selectors
from returns.models import (
    Disposition,
    ItemCondition,
    RefundRelease,
    ReturnEvent,
    ReturnLine,
    ReturnRequest,
    ReturnStatus,
)
from returns.models.returns import RESOLVED
from returns.services import events, exchanges, transitions

logger = logging.getLogger(__name__)

S = ReturnStatus
# Scans that say a carrier holds the parcel (a label printed or a note says nothing of the kind).
CARRIER_HAS_PARCEL = frozenset(
    {
        TrackingEvent.Status.PICKED_UP,
        TrackingEvent.Status.IN_TRANSIT,
        TrackingEvent.Status.OUT_FOR_DELIVERY,
        TrackingEvent.Status.DELIVERED,
        TrackingEvent.Status.EXCEPTION,
    }
)
RECEIVABLE = frozenset({S.APPROVED, S.IN_TRANSIT, S.RECEIVED})
# Money released on receipt: the policy says so, or it said first scan and the parcel came in
# without one (handed in at the warehouse).
RELEASE_ON_RECEIPT = frozenset({RefundRelease.RECEIPT, RefundRelease.FIRST_SCAN})


def _error(field: str, code: str, message: str) -> dict[str, str]:
    return {"field": field, "code": code, "message": message}


# --- carrier scans ------------------------------------------------------------------------


def _scan_key(carrier_event_id: str, status: str, occurred_at: datetime) -> str:
    """What makes a scan the same scan: the carrier's event id, else its status and time."""
    return carrier_event_id or f"{status}@{occurred_at.isoformat()}"


@transaction.atomic
def record_return_scan(
    *,
    tracking_number: str,
    status: str,
    occurred_at: datetime,
    actor: Actor,
    carrier_event_id: str = "",
    location: str = "",
    description: str = "",
) -> ReturnRequest:
    """One carrier scan of a return label. The first scan that shows the carrier holding the
    parcel moves an approved return to in transit (shipped_at = the scan's time) and, when the
    policy releases money on the first scan, releases it. Later scans only join the timeline.
    A repeat of a scan (same carrier event id, or same status and time) changes nothing.
    Raises NotFound for an unknown tracking number and ValidationFailed for a bad scan."""
    errors = []
    if status not in TrackingEvent.Status.values:
        errors.append(_error("status", "invalid_choice", _("Unknown scan status.")))
    if not isinstance(occurred_at, datetime) or timezone.is_naive(occurred_at):
        errors.append(_error("occurred_at", "naive_datetime", _("Give the time with its zone.")))
    if errors:
        raise ValidationFailed(_("This scan is not valid."), code="invalid_scan", errors=errors)
    return_id = (
        ReturnRequest.objects.filter(tracking_number=(tracking_number or "").strip().upper())
        .values_list("pk", flat=True)
        .first()
    )
    if return_id is None:
        raise NotFound(
            _("No return with tracking number %(number)s.") % {"number": tracking_number},
            code="return_not_found",
        )
    r = selectors.lock_return(return_id)
    key = _scan_key(carrier_event_id, status, occurred_at)
    # The return lock is held, so this check cannot race another copy of the scan.
    if ReturnEvent.objects.filter(
        return_request=r, type=ReturnEvent.Type.IN_TRANSIT, data__scan=key
    ).exists():
        return r
    data = {
        "scan": key,
        "carrier": r.carrier,
        "carrier_status": status,
        "occurred_at": occurred_at,
        "location": location[:128],
        "description": description[:255],
    }
    moves = r.status == S.APPROVED and status in CARRIER_HAS_PARCEL
    if not moves:
        events.record(r, ReturnEvent.Type.IN_TRANSIT, actor=actor, data=data)
        return r
    r.status = S.IN_TRANSIT
    r.shipped_at = occurred_at
    r.save(update_fields=["status", "shipped_at", "updated_at"])
    events.record(
        r, ReturnEvent.Type.IN_TRANSIT, actor=actor, data=data, notify="return.in_transit"
    )
    logger.info("returns.in_transit", extra={"rma": r.rma})
    if r.refund_release == RefundRelease.FIRST_SCAN:
        r = transitions.release_refund(r, actor=actor, reason="first carrier scan")
    return r


# --- receipt ------------------------------------------------------------------------------


def _lines_by_id(r: ReturnRequest) -> dict[int, ReturnLine]:
    return {
        line.pk: line
        for line in ReturnLine.objects.filter(return_request=r).select_related("order_line")
    }


def _receipt_errors(
    r: ReturnRequest, lines: list[tuple[int, int, str]], by_id: dict[int, ReturnLine]
) -> list[dict[str, str]]:
    errors = []
    if not lines:
        errors.append(_error("lines", "required", _("Say which items arrived.")))
    counts = Counter(line_id for line_id, _q, _c in lines)
    for index, (line_id, quantity, condition) in enumerate(lines):
        prefix = f"lines[{index}]"
        line = by_id.get(line_id)
        if line is None:
            errors.append(
                _error(
                    f"{prefix}.return_line_id",
                    "unknown_line",
                    _("This item is not part of return %(rma)s.") % {"rma": r.rma},
                )
            )
            continue
        if counts[line_id] > 1:
            errors.append(
                _error(f"{prefix}.return_line_id", "duplicate_line", _("List each item once."))
            )
        room = line.quantity - line.quantity_received
        if not isinstance(quantity, int) or quantity < 1 or quantity > room:
            errors.append(
                _error(
                    f"{prefix}.quantity",
                    "quantity_not_receivable",
                    _("%(sku)s: between 1 and %(room)s more units can be received.")
                    % {"sku": line.order_line.sku, "room": room},
                )
            )
        if condition not in ItemCondition.values:
            errors.append(_error(f"{prefix}.condition", "invalid_choice", _("Unknown condition.")))
    return errors


@transaction.atomic
def receive_return(
    *,
    return_request: ReturnRequest,
    lines: list[tuple[int, int, str]],
    actor: Actor,
    warehouse_code: str = "",
) -> ReturnRequest:
    """Record units that arrived: (return_line_id, quantity, condition) per line. Receipts may
    come in parts and add up to at most each line's quantity; each receipt counts its units as
    returned on the order line. The first one moves the return to received. `warehouse_code`
    names where it arrived when that is not the warehouse on the label (restock goes there).
    Raises InvalidTransition (nothing to receive in this status) or ValidationFailed (an
    unknown line, too many units, an unknown condition); a refused receipt changes nothing."""
    r = selectors.lock_return(return_request.pk)
    if r.status not in RECEIVABLE:
        raise transitions.refuse(r, S.RECEIVED, "return_not_receivable")
    by_id = _lines_by_id(r)
    errors = _receipt_errors(r, lines, by_id)
    warehouse = None
    if warehouse_code.strip():
        warehouse = Warehouse.objects.filter(code=warehouse_code.strip().upper()).first()
        if warehouse is None:
            errors.append(_error("warehouse_code", "unknown_warehouse", _("Unknown warehouse.")))
    if errors:
        raise ValidationFailed(
            _("This receipt cannot be recorded."), code="invalid_receipt", errors=errors
        )
    received = []
    changed_lines = []
    for line_id, quantity, condition in lines:
        line = by_id[line_id]
        line.quantity_received += quantity
        line.condition = condition
        changed_lines.append(line)
        received.append({"sku": line.order_line.sku, "quantity": quantity, "condition": condition})
        OrderLine.objects.filter(pk=line.order_line_id).update(
            quantity_returned=F("quantity_returned") + quantity
        )
    ReturnLine.objects.bulk_update(changed_lines, ["quantity_received", "condition"])
    fields = ["updated_at"]
    if warehouse is not None and warehouse.pk != r.warehouse_id:
        r.warehouse = warehouse
        fields.append("warehouse")
    if r.status != S.RECEIVED:
        r.status = S.RECEIVED
        r.received_at = timezone.now()
        fields += ["status", "received_at"]
    r.save(update_fields=fields)
    is_complete = all(line.quantity_received == line.quantity for line in by_id.values())
    events.record(
        r,
        ReturnEvent.Type.RECEIVED,
        actor=actor,
        data={
            "lines": received,
            "is_complete": is_complete,
            "warehouse": r.warehouse.code if r.warehouse_id else "",
        },
        notify="return.received",
    )
    logger.info("returns.received", extra={"rma": r.rma, "complete": is_complete})
    if r.is_instant_exchange and r.exchange_order_id:
        # The parcel is here: the replacement's hold is released, whatever the refund waits for.
        exchanges.settle_exchange_hold_on_commit(return_request=r, actor=actor)
    if r.refund_release in RELEASE_ON_RECEIPT:
        r = transitions.release_refund(r, actor=actor, reason="received")
    return r


# --- inspection ---------------------------------------------------------------------------


@transaction.atomic
def inspect_return(
    *, return_request: ReturnRequest, lines: list[tuple[int, str]], actor: Actor
) -> ReturnRequest:
    """Decide what happens to the received units: (return_line_id, disposition) for every
    received line. Restocked units go back on hand at the warehouse that received them;
    damaged and scrapped units do not. Moves the return to inspected. Repeating the same
    inspection changes nothing."""
    r = selectors.lock_return(return_request.pk)
    by_id = _lines_by_id(r)
    wanted = dict(lines)
    if r.inspected_at is not None and all(
        line_id in by_id and by_id[line_id].disposition == disposition
        for line_id, disposition in wanted.items()
    ):
        return r
    # Money released on receipt may already have resolved the return: the units still need
    # their disposition (and restocking), once, without moving the status back.
    is_resolved_uninspected = r.status in RESOLVED and r.inspected_at is None and r.received_at
    if not (r.can_transition_to(S.INSPECTED) or is_resolved_uninspected):
        raise transitions.refuse(r, S.INSPECTED, "return_not_inspectable")
    errors = _inspection_errors(r, lines, by_id)
    if errors:
        raise ValidationFailed(
            _("This inspection cannot be recorded."), code="invalid_inspection", errors=errors
        )
    inspected = []
    for line_id, disposition in lines:
        line = by_id[line_id]
        line.disposition = disposition
        if disposition == Disposition.RESTOCK:
            units = line.quantity_received - line.quantity_restocked
            if units:
                adjust_stock(
                    sku=line.order_line.sku,
                    warehouse_code=r.warehouse.code,
                    delta=units,
                    reason=f"return {r.rma} restocked",
                    actor=actor,
                )
                line.quantity_restocked += units
        inspected.append(
            {
                "sku": line.order_line.sku,
                "quantity": line.quantity_received,
                "disposition": disposition,
                "restocked": line.quantity_restocked,
            }
        )
    ReturnLine.objects.bulk_update(
        [by_id[line_id] for line_id in wanted], ["disposition", "quantity_restocked"]
    )
    if r.can_transition_to(S.INSPECTED):
        r.status = S.INSPECTED
    r.inspected_at = timezone.now()
    r.save(update_fields=["status", "inspected_at", "updated_at"])
    events.record(
        r,
        ReturnEvent.Type.INSPECTED,
        actor=actor,
        data={"lines": inspected, "warehouse": r.warehouse.code},
        notify="return.inspected",
    )
    logger.info("returns.inspected", extra={"rma": r.rma})
    # Whatever the release point, inspection is the last one: money not yet released goes now.
    r = transitions.release_refund(r, actor=actor, reason="inspected")
    return r


def _inspection_errors(
    r: ReturnRequest, lines: list[tuple[int, str]], by_id: dict[int, ReturnLine]
) -> list[dict[str, str]]:
    errors = []
    if r.warehouse_id is None:
        errors.append(
            _error("warehouse_code", "no_warehouse", _("Record the receiving warehouse first."))
        )
    counts = Counter(line_id for line_id, _d in lines)
    for index, (line_id, disposition) in enumerate(lines):
        prefix = f"lines[{index}]"
        line = by_id.get(line_id)
        if line is None or line.quantity_received == 0:
            errors.append(
                _error(
                    f"{prefix}.return_line_id",
                    "line_not_received",
                    _("This item of return %(rma)s has not been received.") % {"rma": r.rma},
                )
            )
            continue
        if counts[line_id] > 1:
            errors.append(
                _error(f"{prefix}.return_line_id", "duplicate_line", _("List each item once."))
            )
        if disposition not in Disposition.values:
            errors.append(
                _error(f"{prefix}.disposition", "invalid_choice", _("Unknown disposition."))
            )
    given = set(counts)
    missing = [
        line.order_line.sku
        for line in by_id.values()
        if line.quantity_received and line.pk not in given
    ]
    if missing:
        errors.append(
            _error(
                "lines",
                "disposition_missing",
                _("Decide what happens to every received item: %(skus)s.")
                % {"skus": ", ".join(missing)},
            )
        )
    return errors
