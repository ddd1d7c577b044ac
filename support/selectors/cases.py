"""Reads about support cases: the case queue, one case with its timeline, the open-case count,
and first-contact resolution (FCR) as a queryset annotation that insights reuses.

First-contact resolution, per case
----------------------------------
A case is resolved on first contact ("yes") when it is resolved, the customer contacted us about
it only once (`contact_count == 1`), and no *repeat* contact followed within FCR_WINDOW (7 days)
of its resolution. A repeat is another case from the same customer, opened after this one and at
most FCR_WINDOW after this one was resolved, about the same topic:

- a case with an order: another case about the same order (a case about a different order of the
  same customer is a different problem and does not count);
- a case without an order: another case without an order with the same reason. Without an order
  the reason is the only sign that it is the same problem; counting every orderless contact
  would charge a product question against a later, unrelated billing question.

A case opened while this one was still open also counts as a repeat: the customer had to come
back. The states are:

- "no": more than one contact on the case, or a repeat case exists;
- "pending": resolved less than FCR_WINDOW ago with no repeat yet (a provisional yes);
- "yes": resolved at least FCR_WINDOW ago, one contact, no repeat;
- "open": not resolved yet (and only one contact so far): FCR does not apply yet.

Reopening a case (the customer contacted us again) raises its contact count, so it is "no".
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import (
    BooleanField,
    CharField,
    Count,
    DateTimeField,
    Exists,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models import Case as Choose
from django.utils import timezone

from oms.exceptions import NotFound
from support.models import Case, CaseEvent

FCR_WINDOW = timedelta(days=7)
PAGE_SIZE = 50
MAX_PAGE_SIZE = 200
ACTIVE_STATUSES = (Case.Status.OPEN, Case.Status.WAITING_ON_CUSTOMER)


class Fcr:
    YES = "yes"
    NO = "no"
    PENDING = "pending"
    OPEN = "open"


def annotate_fcr(queryset: QuerySet[Case], *, now: datetime | None = None) -> QuerySet[Case]:
    """Add `fcr` ("yes" / "no" / "pending" / "open", see the module docstring) and
    `has_repeat_contact` to each case, with two EXISTS subqueries: no query per row."""
    now = now or timezone.now()
    window_end = ExpressionWrapper(
        OuterRef("resolved_at") + Value(FCR_WINDOW), output_field=DateTimeField()
    )
    later = (
        Case.objects.filter(customer_id=OuterRef("customer_id"), opened_at__lte=window_end)
        .filter(
            Q(opened_at__gt=OuterRef("opened_at"))
            | Q(opened_at=OuterRef("opened_at"), pk__gt=OuterRef("pk"))
        )
        .exclude(pk=OuterRef("pk"))
    )
    same_order = Exists(later.filter(order_id=OuterRef("order_id")))
    same_reason_no_order = Exists(later.filter(order__isnull=True, reason=OuterRef("reason")))
    return queryset.annotate(
        has_repeat_contact=Choose(
            When(order__isnull=False, then=same_order),
            default=same_reason_no_order,
            output_field=BooleanField(),
        ),
        fcr=Choose(
            When(Q(contact_count__gt=1) | Q(has_repeat_contact=True), then=Value(Fcr.NO)),
            When(~Q(status=Case.Status.RESOLVED), then=Value(Fcr.OPEN)),
            When(resolved_at__gt=now - FCR_WINDOW, then=Value(Fcr.PENDING)),
            default=Value(Fcr.YES),
            output_field=CharField(),
        ),
    )


@dataclass(frozen=True)
class FcrRate:
    """First-contact resolution over a set of cases. `rate` counts settled cases only (yes and
    no); `provisional_rate` also counts pending ones as yes. Both None without cases."""

    resolved: int
    yes: int
    no: int
    pending: int

    @property
    def rate(self) -> float | None:
        settled = self.yes + self.no
        return self.yes / settled if settled else None

    @property
    def provisional_rate(self) -> float | None:
        counted = self.yes + self.no + self.pending
        return (self.yes + self.pending) / counted if counted else None


def fcr_rate(queryset: QuerySet[Case], *, now: datetime | None = None) -> FcrRate:
    """FCR of the resolved cases in `queryset` (e.g. the cases opened in a period), one query.
    Cases still open are left out; an open case already contacted twice is a "no" once it is
    resolved."""
    counts = (
        annotate_fcr(queryset.filter(status=Case.Status.RESOLVED), now=now)
        .order_by()
        .aggregate(
            resolved=Count("pk"),
            yes=Count("pk", filter=Q(fcr=Fcr.YES)),
            no=Count("pk", filter=Q(fcr=Fcr.NO)),
            pending=Count("pk", filter=Q(fcr=Fcr.PENDING)),
        )
    )
    return FcrRate(**counts)


# --- One case ----------------------------------------------------------------------------------


def lock_case(case_id: int) -> Case:
    """The case row, locked FOR UPDATE (only its own row), with the customer and order its
    event payloads need: every change to a case takes this lock first."""
    try:
        return (
            Case.objects.select_for_update(of=("self",))
            .select_related("customer", "order")
            .get(pk=case_id)
        )
    except Case.DoesNotExist:
        raise NotFound(f"Case {case_id} does not exist.", code="case_not_found") from None


def get_case(case_id: int) -> Case:
    """One case with its customer, order, shipment, people and FCR state."""
    queryset = annotate_fcr(
        Case.objects.select_related("customer", "order", "shipment", "opened_by", "assigned_to")
    )
    try:
        return queryset.get(pk=case_id)
    except Case.DoesNotExist:
        raise NotFound(f"Case {case_id} does not exist.", code="case_not_found") from None


def case_timeline(case: Case) -> list[CaseEvent]:
    """The case's events, oldest first, each with the order an action touched."""
    return list(
        CaseEvent.objects.filter(case=case).select_related("order").order_by("created_at", "id")
    )


# --- The queue ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class CasePage:
    cases: list[Case]
    page: int
    has_next: bool

    @property
    def has_previous(self) -> bool:
        return self.page > 1


def _search(queryset: QuerySet[Case], q: str) -> QuerySet[Case]:
    q = q.strip()
    reference = q.upper().removeprefix("C-").removeprefix("C")
    if reference.isdigit():
        return queryset.filter(Q(pk=int(reference)) | Q(order__number=q))
    return queryset.filter(
        Q(subject__icontains=q)
        | Q(customer__email__icontains=q)
        | Q(customer__name__icontains=q)
        | Q(order__number=q)
    )


def list_cases(
    *,
    status: str | None = None,
    reason: str | None = None,
    channel: str | None = None,
    assigned=None,
    customer=None,
    order=None,
    q: str = "",
    page: int = 1,
    per_page: int = PAGE_SIZE,
    now: datetime | None = None,
) -> CasePage:
    """Cases for the queue, open ones first and oldest first (the ones waiting longest), then
    those waiting on the customer, then resolved ones newest first. `status` is a case status,
    "active" (open or waiting) or None (all). Pages are bounded and never counted: one query."""
    queryset = Case.objects.select_related("customer", "order", "assigned_to")
    if status == "active":
        queryset = queryset.filter(status__in=ACTIVE_STATUSES)
    elif status:
        queryset = queryset.filter(status=status)
    if reason:
        queryset = queryset.filter(reason=reason)
    if channel:
        queryset = queryset.filter(channel=channel)
    if assigned is not None:
        queryset = queryset.filter(assigned_to=assigned)
    if customer is not None:
        queryset = queryset.filter(customer=customer)
    if order is not None:
        queryset = queryset.filter(order=order)
    if q and q.strip():
        queryset = _search(queryset, q)
    queryset = annotate_fcr(queryset, now=now).annotate(
        queue_rank=Choose(
            When(status=Case.Status.OPEN, then=Value(0)),
            When(status=Case.Status.WAITING_ON_CUSTOMER, then=Value(1)),
            default=Value(2),
            output_field=IntegerField(),
        ),
        waiting_since=Choose(
            When(~Q(status=Case.Status.RESOLVED), then=F("opened_at")),
            default=None,
            output_field=DateTimeField(),
        ),
    )
    queryset = queryset.order_by(
        "queue_rank",
        F("waiting_since").asc(nulls_last=True),
        F("resolved_at").desc(nulls_last=True),
        "id",
    )
    per_page = max(1, min(per_page, MAX_PAGE_SIZE))
    page = max(1, page)
    start = (page - 1) * per_page
    rows = list(queryset[start : start + per_page + 1])
    return CasePage(cases=rows[:per_page], page=page, has_next=len(rows) > per_page)


def open_case_count() -> int:
    """Cases not resolved yet (open or waiting on the customer): the queue's badge."""
    return Case.objects.filter(status__in=ACTIVE_STATUSES).count()


def cases_for_order(order, *, limit: int = 20) -> list[Case]:
    """The order's cases, newest first, with their FCR state (for the order page)."""
    return list(
        annotate_fcr(Case.objects.filter(order=order).select_related("assigned_to")).order_by(
            "-opened_at", "-id"
        )[:limit]
    )
