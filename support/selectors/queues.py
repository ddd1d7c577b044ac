"""The console's queues: open cases, approval requests waiting for a supervisor, and flagged
orders (needing attention, with a carrier exception, or on hold).

Each count reads a small partial or status index (case_open_idx, approval_pending_idx,
order_attention_idx, order_status_idx, shipment_status_carrier_idx, return_status_idx) and is
capped, so the queue
badge costs the same on a shop with ten orders or ten million.
"""

from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import QuerySet

from orders.models import Order, Shipment
from returns.models import ReturnRequest
from support.models import ApprovalRequest, Case

COUNT_CAP = 1000
TOP = 5
FLAGGED_PAGE = 100


class FlagReason:
    ATTENTION = "attention"
    EXCEPTION = "exception"
    ON_HOLD = "on_hold"
    ALL = (ATTENTION, EXCEPTION, ON_HOLD)


def capped_count(queryset: QuerySet, cap: int = COUNT_CAP) -> int:
    """COUNT over at most `cap` rows: SELECT COUNT(*) FROM (… LIMIT cap)."""
    return queryset[:cap].count()


def open_cases() -> QuerySet[Case]:
    """Cases not resolved, oldest first (case_open_idx)."""
    return (
        Case.objects.exclude(status=Case.Status.RESOLVED)
        .select_related("customer", "order", "assigned_to")
        .order_by("opened_at", "id")
    )


def pending_approvals() -> QuerySet[ApprovalRequest]:
    """Approval requests waiting for a decision, oldest first (approval_pending_idx)."""
    return (
        ApprovalRequest.objects.filter(status=ApprovalRequest.Status.PENDING)
        .select_related("order", "requested_by")
        .order_by("requested_at", "id")
    )


def attention_orders() -> QuerySet[Order]:
    """Orders the system flagged (a delayed parcel), oldest flag first (order_attention_idx)."""
    return Order.objects.filter(needs_attention=True).order_by("attention_at", "id")


def exception_orders() -> QuerySet[Order]:
    """Orders with a parcel in carrier exception (shipment_status_carrier_idx)."""
    ids = Shipment.objects.filter(status=Shipment.Status.EXCEPTION).values("order_id")
    return Order.objects.filter(pk__in=ids).order_by("id")


def held_orders() -> QuerySet[Order]:
    """Orders on hold, oldest first (order_status_idx)."""
    return Order.objects.filter(status=Order.Status.ON_HOLD).order_by("updated_at", "id")


FLAGGED = {
    FlagReason.ATTENTION: attention_orders,
    FlagReason.EXCEPTION: exception_orders,
    FlagReason.ON_HOLD: held_orders,
}


@dataclass
class FlaggedOrder:
    order: Order
    reasons: list[str]
    since: datetime | None


@dataclass
class Queues:
    open_cases: int = 0
    pending_approvals: int = 0
    attention: int = 0
    exceptions: int = 0
    on_hold: int = 0
    # Returns the policy sent to a rep's review (not in the badge: only reviewers act on them).
    returns_to_review: int = 0
    top_cases: list[Case] = field(default_factory=list)
    top_approvals: list[ApprovalRequest] = field(default_factory=list)
    top_flagged: list[FlaggedOrder] = field(default_factory=list)
    cap: int = COUNT_CAP

    @property
    def flagged(self) -> int:
        """Flagged orders (an order in two lists counts in both: the lists are separate work)."""
        return self.attention + self.exceptions + self.on_hold

    def total(self, *, include_approvals: bool = True) -> int:
        return self.open_cases + (self.pending_approvals if include_approvals else 0) + self.flagged


def _flagged_rows(queryset: QuerySet[Order], limit: int) -> list[Order]:
    return list(queryset.select_related("customer")[:limit])


def list_flagged(reason: str | None = None, *, limit: int = FLAGGED_PAGE) -> list[FlaggedOrder]:
    """Flagged orders for one reason, or for every reason merged (oldest flag first), each with
    all the reasons it is flagged for. One query per reason whatever the number of orders."""
    reasons = [reason] if reason in FLAGGED else list(FlagReason.ALL)
    merged: dict[int, FlaggedOrder] = {}
    for name in reasons:
        for order in _flagged_rows(FLAGGED[name](), limit):
            entry = merged.get(order.pk)
            if entry is None:
                since = order.attention_at if name == FlagReason.ATTENTION else order.updated_at
                merged[order.pk] = entry = FlaggedOrder(order=order, reasons=[], since=since)
            entry.reasons.append(name)
    rows = list(merged.values())
    rows.sort(key=lambda row: (row.since is None, row.since or 0, row.order.pk))
    # Other reasons an order listed under one reason also has, read from its own columns.
    for row in rows:
        order = row.order
        if order.needs_attention and FlagReason.ATTENTION not in row.reasons:
            row.reasons.append(FlagReason.ATTENTION)
        if order.status == Order.Status.ON_HOLD and FlagReason.ON_HOLD not in row.reasons:
            row.reasons.append(FlagReason.ON_HOLD)
    return rows[:limit]


def get_queue_counts() -> Queues:
    """The counts only (the nav badge): six small indexed counts."""
    return Queues(
        open_cases=capped_count(Case.objects.exclude(status=Case.Status.RESOLVED)),
        pending_approvals=capped_count(
            ApprovalRequest.objects.filter(status=ApprovalRequest.Status.PENDING)
        ),
        attention=capped_count(Order.objects.filter(needs_attention=True)),
        exceptions=capped_count(
            Shipment.objects.filter(status=Shipment.Status.EXCEPTION).values("order_id").distinct()
        ),
        on_hold=capped_count(Order.objects.filter(status=Order.Status.ON_HOLD)),
        returns_to_review=capped_count(
            ReturnRequest.objects.filter(status=ReturnRequest.Status.REQUESTED)
        ),
    )


def get_queues(*, top: int = TOP) -> Queues:
    """Counts and the oldest few items of each queue, for the console's home page."""
    queues = get_queue_counts()
    queues.top_cases = list(open_cases()[:top])
    queues.top_approvals = list(pending_approvals()[:top])
    queues.top_flagged = list_flagged(limit=top)
    return queues
