"""The console's reads of returns: the queue (filters, search, keyset pages, counts per open
status), one return with everything its page shows, the return a warehouse scan names, and the
returns listed on an order and a customer. Each read is a fixed number of queries whatever the
number of returns, lines, photos or events."""

import re
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, F, IntegerField, OuterRef, Prefetch, Q, Subquery, Sum
from django.db.models.functions import Coalesce, Lower
from django.utils.translation import gettext as _

from notifications.models import Delivery
from oms.exceptions import NotFound
from orders import money
from orders.models import Customer, Order, OrderLine, Variant, Warehouse
from returns.models import (
    ReturnEvent,
    ReturnLine,
    ReturnPhoto,
    ReturnRefund,
    ReturnRequest,
    ReturnStatus,
    ShippingPayer,
)
from returns.models.returns import OPEN_STATUSES
from support.templatetags.console import format_money

PAGE_SIZE = 50
MESSAGES_SHOWN = 25
RELATED_SHOWN = 20
# The queue's status filter: one status, or these groups.
NEEDS_REVIEW = "review"
OPEN = "open"
ALL = "all"
# Open statuses in the order a return goes through them (the queue's count tabs).
OPEN_ORDER = [
    ReturnStatus.REQUESTED,
    ReturnStatus.APPROVED,
    ReturnStatus.IN_TRANSIT,
    ReturnStatus.RECEIVED,
    ReturnStatus.INSPECTED,
]
# An RMA is "R" + the order number + "-" + its place ("R100042-2"); people also type "R-100042-2".
RMA_IN_TEXT = re.compile(r"\bR-?([0-9]+)-([0-9]+)\b", re.IGNORECASE)
ORDER_RMAS = re.compile(r"R-?([0-9]+)", re.IGNORECASE)
CODE_MAX = 200


@dataclass(frozen=True)
class QueueFilters:
    status: str = ALL  # a ReturnStatus value, NEEDS_REVIEW, OPEN or ALL
    resolution: str = ""
    warehouse_id: int | None = None
    requested_via: str = ""
    q: str = ""
    before: int | None = None  # keyset cursor: rows with a smaller id (newest first)


@dataclass
class QueuePage:
    rows: list[ReturnRequest]
    next_before: int | None  # the cursor of the next page, None on the last one
    counts: dict[str, int] = field(default_factory=dict)  # open status -> returns

    @property
    def needs_review(self) -> int:
        return self.counts.get(ReturnStatus.REQUESTED, 0)

    @property
    def open_total(self) -> int:
        return sum(self.counts.values())


def _units():
    """The units a return holds (the sum of its lines), as an annotation."""
    per_return = (
        ReturnLine.objects.filter(return_request=OuterRef("pk"))
        .order_by()
        .values("return_request")
        .annotate(n=Sum("quantity"))
        .values("n")
    )
    return Coalesce(Subquery(per_return, output_field=IntegerField()), 0)


def normalise_code(text: str) -> str:
    """What a rep typed or a scanner sent, trimmed and upper-cased (RMAs and return tracking
    numbers are issued in upper case); an RMA found inside a longer text (a label's prefix, a
    typed hyphen) is given in its own form."""
    text = (text or "").strip()[:CODE_MAX]
    found = RMA_IN_TEXT.search(text)
    if found:
        return f"R{found.group(1)}-{found.group(2)}"
    return text.upper()


def _search(queryset, q: str):
    """An RMA, an order number (its returns; "R100042" too), an email or a return tracking
    number: exact matches on indexed columns."""
    q = " ".join(q.split())[:CODE_MAX]
    if not q:
        return queryset
    code = normalise_code(q)
    lookup = Q(rma=code) | Q(tracking_number=code)
    if "@" in q:
        lowered = q.lower()
        lookup |= Q(order__in=Order.objects.filter(email=lowered).values("id"))
        customers = Customer.objects.annotate(email_lower=Lower("email")).filter(
            email_lower=lowered
        )  # the lower(email) unique index
        lookup |= Q(customer__in=customers.values("id"))
    else:
        number = q.lstrip("#")
        lookup |= Q(order__in=Order.objects.filter(number=number).values("id"))
        order_rmas = ORDER_RMAS.fullmatch(q)
        if order_rmas:
            lookup |= Q(rma__startswith=f"R{order_rmas.group(1)}-")
    return queryset.filter(lookup)


def _filtered(filters: QueueFilters, *, with_status: bool = True):
    queryset = ReturnRequest.objects.all()
    if with_status:
        if filters.status == NEEDS_REVIEW:
            queryset = queryset.filter(status=ReturnStatus.REQUESTED)
        elif filters.status == OPEN:
            queryset = queryset.filter(status__in=OPEN_STATUSES)
        elif filters.status in ReturnStatus.values:
            queryset = queryset.filter(status=filters.status)
    if filters.resolution:
        queryset = queryset.filter(resolution=filters.resolution)
    if filters.warehouse_id:
        queryset = queryset.filter(warehouse_id=filters.warehouse_id)
    if filters.requested_via:
        queryset = queryset.filter(requested_via=filters.requested_via)
    return _search(queryset, filters.q)


def status_counts(filters: QueueFilters) -> dict[str, int]:
    """Returns per open status under the other filters: closed returns are not counted (that
    count only grows, and the working set is what a queue is for)."""
    rows = (
        _filtered(filters, with_status=False)
        .filter(status__in=OPEN_STATUSES)
        .order_by()
        .values("status")
        .annotate(n=Count("id"))
    )
    counts = dict.fromkeys(OPEN_ORDER, 0)
    counts.update({row["status"]: row["n"] for row in rows})
    return counts


def list_returns(filters: QueueFilters, *, page_size: int = PAGE_SIZE) -> QueuePage:
    """One page of the queue, newest first, keyset-paginated on the id (no OFFSET, no total),
    with the units each return holds; and the counts per open status. Three queries."""
    queryset = (
        _filtered(filters)
        .select_related("order", "customer", "warehouse")
        .only(
            "id",
            "rma",
            "status",
            "resolution",
            "requested_via",
            "is_withdrawal",
            "is_instant_exchange",
            "is_keep_it",
            "currency",
            "estimated_total",
            "refunded_amount",
            "credited_amount",
            "tracking_number",
            "created_at",
            "updated_at",
            "order__id",
            "order__number",
            "customer__id",
            "customer__name",
            "customer__email",
            "warehouse__id",
            "warehouse__code",
        )
        .annotate(units=_units())
        .order_by("-id")
    )
    if filters.before:
        queryset = queryset.filter(id__lt=filters.before)
    rows = list(queryset[: page_size + 1])
    next_before = rows[page_size - 1].pk if len(rows) > page_size else None
    return QueuePage(rows=rows[:page_size], next_before=next_before, counts=status_counts(filters))


def warehouses() -> list[Warehouse]:
    """The warehouses a return may go to, for the queue's filter."""
    return list(Warehouse.objects.filter(is_active=True).only("id", "code", "name"))


@dataclass(frozen=True)
class ReasonRuleView:
    """What the policy's rule for one of the return's reasons implies, in words."""

    reason: str
    label: str
    facts: list[str]


def _reason_rules(return_request: ReturnRequest, lines: list[ReturnLine]) -> list[ReasonRuleView]:
    policy = return_request.policy
    if policy is None:
        return []
    rules = {rule.reason: rule for rule in policy.reason_rules.all()}
    views = []
    for reason in dict.fromkeys(line.reason for line in lines):
        rule = rules.get(reason)
        if rule is None:
            continue
        facts = []
        if rule.requires_review:
            facts.append(_("needs a review"))
        if rule.requires_photo:
            facts.append(_("photo required"))
        facts.append(
            _("customer pays return shipping")
            if rule.return_shipping_paid_by == ShippingPayer.CUSTOMER
            else _("store pays return shipping")
        )
        if rule.restocking_fee_percent:
            facts.append(
                _("restocking fee %(percent)s%%")
                % {"percent": f"{rule.restocking_fee_percent.normalize():f}"}
            )
        if rule.keep_it_max_amount:
            facts.append(
                _("kept without return up to %(amount)s")
                % {"amount": format_money(rule.keep_it_max_amount, return_request.currency)}
            )
        views.append(ReasonRuleView(reason, rule.get_reason_display(), facts))
    return views


@dataclass
class ConsoleReturn:
    return_request: ReturnRequest
    lines: list[ReturnLine]
    events: list[ReturnEvent]  # newest first
    refunds: list[ReturnRefund]
    photo_count: int
    units: int
    units_received: int
    units_restocked: int
    reason_rules: list[ReasonRuleView] = field(default_factory=list)
    messages: list[Delivery] = field(default_factory=list)  # newest first

    @property
    def order(self) -> Order:
        return self.return_request.order

    @property
    def paid_back(self) -> Decimal:
        r = self.return_request
        return money.quantize(r.refunded_amount + r.credited_amount, r.currency)


def get_console_return(rma: str) -> ConsoleReturn:
    """One return and what its page shows, in eight queries."""
    queryset = ReturnRequest.objects.select_related(
        "order", "customer", "warehouse", "exchange_order", "policy"
    ).prefetch_related(
        "policy__reason_rules",
        Prefetch(
            "lines",
            queryset=ReturnLine.objects.select_related(
                "order_line", "exchange_variant"
            ).prefetch_related(Prefetch("photos", queryset=ReturnPhoto.objects.order_by("id"))),
        ),
        Prefetch("events", queryset=ReturnEvent.objects.order_by("-created_at", "-id")),
        Prefetch("refunds", queryset=ReturnRefund.objects.order_by("created_at", "id")),
    )
    try:
        return_request = queryset.get(rma=(rma or "").strip().upper())
    except ReturnRequest.DoesNotExist:
        raise NotFound(f"Return {rma} does not exist.", code="return_not_found") from None
    lines = list(return_request.lines.all())
    return ConsoleReturn(
        return_request=return_request,
        lines=lines,
        events=list(return_request.events.all()),
        refunds=list(return_request.refunds.all()),
        photo_count=sum(len(line.photos.all()) for line in lines),
        units=sum(line.quantity for line in lines),
        units_received=sum(line.quantity_received for line in lines),
        units_restocked=sum(line.quantity_restocked for line in lines),
        reason_rules=_reason_rules(return_request, lines),
        messages=list(
            Delivery.objects.filter(aggregate_type="return", aggregate_id=return_request.rma)
            .exclude(channel__in=[Delivery.Channel.LIVE, Delivery.Channel.WEBHOOK])
            .order_by("-created_at", "-pk")[:MESSAGES_SHOWN]
        ),
    )


def get_photo(rma: str, photo_id: int) -> ReturnPhoto:
    """A photo of that return (never one of another return's, whatever id is asked)."""
    photo = (
        ReturnPhoto.objects.filter(pk=photo_id, line__return_request__rma=rma.upper())
        .only("id", "image", "content_type", "size")
        .first()
    )
    if photo is None:
        raise NotFound("No such photo on this return.", code="photo_not_found")
    return photo


def returns_for_order(order: Order, *, limit: int = RELATED_SHOWN) -> list[ReturnRequest]:
    """The order's returns, newest first, for the order page (one query)."""
    return list(
        ReturnRequest.objects.filter(order=order)
        .select_related("exchange_order")
        .annotate(units=_units())
        .order_by("-id")[:limit]
    )


def returns_for_customer(customer_id: int, *, limit: int = RELATED_SHOWN) -> list[ReturnRequest]:
    """The customer's returns, newest first, for the customer 360 (one query)."""
    return list(
        ReturnRequest.objects.filter(customer_id=customer_id)
        .select_related("order", "exchange_order")
        .only(
            "id",
            "rma",
            "status",
            "resolution",
            "currency",
            "estimated_total",
            "refunded_amount",
            "credited_amount",
            "created_at",
            "is_withdrawal",
            "order__id",
            "order__number",
            "exchange_order__id",
            "exchange_order__number",
        )
        .annotate(units=_units())
        .order_by("-id")[:limit]
    )


@dataclass(frozen=True)
class ExchangeOption:
    variant: Variant
    available: int  # on hand minus allocated, over every warehouse


def exchange_options(
    order_lines: list[OrderLine], currency: str
) -> dict[int, list[ExchangeOption]]:
    """Per order line, the other active variants of its product in the order's currency with
    the stock they have now (one query). The policy checks them again when the return is made."""
    product_ids = {line.variant.product_id for line in order_lines}
    if not product_ids:
        return {}
    variants = (
        Variant.objects.filter(product_id__in=product_ids, is_active=True, currency=currency)
        .annotate(
            available=Coalesce(
                Sum(F("stock__on_hand") - F("stock__allocated")), 0, output_field=IntegerField()
            )
        )
        .order_by("product_id", "id")
    )
    by_product: dict[int, list[Variant]] = {}
    for variant in variants:
        by_product.setdefault(variant.product_id, []).append(variant)
    return {
        line.pk: [
            ExchangeOption(variant=v, available=max(v.available, 0))
            for v in by_product.get(line.variant.product_id, [])
            if v.pk != line.variant_id
        ]
        for line in order_lines
    }
