"""Reads of the returns app that the console, the API and services share."""

from datetime import datetime
from decimal import Decimal

from django.db.models import Prefetch, Q, QuerySet, Sum
from django.db.models.functions import Lower
from django.utils.translation import gettext as _

from oms.exceptions import NotFound
from orders import money
from orders import selectors as order_selectors
from orders.models import Customer, Order
from returns.models import (
    ReturnEvent,
    ReturnLine,
    ReturnRefund,
    ReturnRequest,
    StoreCreditEntry,
)


def balance(customer: Customer | int, currency: str) -> Decimal:
    """The customer's store credit in `currency`: the sum of their ledger entries."""
    customer_id = customer if isinstance(customer, int) else customer.pk
    total = StoreCreditEntry.objects.filter(customer_id=customer_id, currency=currency).aggregate(
        s=Sum("amount")
    )["s"]
    return money.quantize(total or Decimal(0), currency)


def balances(customer: Customer | int) -> dict[str, Decimal]:
    """Store credit per currency the customer has ever had some in, currencies in order."""
    customer_id = customer if isinstance(customer, int) else customer.pk
    rows = (
        StoreCreditEntry.objects.filter(customer_id=customer_id)
        .values("currency")
        .annotate(s=Sum("amount"))
        .order_by("currency")
    )
    return {row["currency"]: money.quantize(row["s"], row["currency"]) for row in rows}


def store_credit_entries(customer: Customer | int) -> QuerySet[StoreCreditEntry]:
    """The customer's ledger, newest first (slice it: it is not bounded)."""
    customer_id = customer if isinstance(customer, int) else customer.pk
    return (
        StoreCreditEntry.objects.filter(customer_id=customer_id)
        .select_related("order")
        .order_by("-created_at", "-id")
    )


# --- Returns (RMAs) ---------------------------------------------------------------------------


def _normalize_code(code: str) -> str:
    """RMAs and return tracking numbers are issued in upper case; scanners and people type
    them any way, so reads compare the upper-cased code (and keep the unique indexes usable)."""
    return (code or "").strip().upper()


def _detail_queryset() -> QuerySet[ReturnRequest]:
    return ReturnRequest.objects.select_related(
        "order", "customer", "warehouse", "policy", "exchange_order"
    ).prefetch_related(
        Prefetch(
            "lines",
            queryset=ReturnLine.objects.select_related(
                "order_line", "exchange_variant"
            ).prefetch_related("photos"),
        ),
        Prefetch("events", queryset=ReturnEvent.objects.order_by("created_at", "id")),
        Prefetch("refunds", queryset=ReturnRefund.objects.order_by("created_at", "id")),
    )


def get_return(rma: str) -> ReturnRequest:
    """One return by its RMA, with its lines, photos, timeline and the money it moved, in a
    fixed number of queries. Raises NotFound."""
    try:
        return _detail_queryset().get(rma=_normalize_code(rma))
    except ReturnRequest.DoesNotExist:
        raise NotFound(
            _("Return %(rma)s does not exist.") % {"rma": rma}, code="return_not_found"
        ) from None


def get_return_by_code(code: str) -> ReturnRequest:
    """The return a warehouse scans or types: its RMA (the label's QR code) or its return
    tracking number, in any case. Raises NotFound."""
    normalized = _normalize_code(code)
    if not normalized:
        raise NotFound(_("Scan or type an RMA or a tracking number."), code="return_not_found")
    found = _detail_queryset().filter(Q(rma=normalized) | Q(tracking_number=normalized)).first()
    if found is None:
        raise NotFound(_("No return with code %(code)s.") % {"code": code}, code="return_not_found")
    return found


def returns_for_order(order: Order | int) -> QuerySet[ReturnRequest]:
    """The order's returns, newest first."""
    order_id = order if isinstance(order, int) else order.pk
    return (
        ReturnRequest.objects.filter(order_id=order_id)
        .select_related("warehouse")
        .prefetch_related(
            Prefetch("lines", queryset=ReturnLine.objects.select_related("order_line"))
        )
        .order_by("-id")
    )


def returns_for_customer(customer: Customer | int) -> QuerySet[ReturnRequest]:
    """The customer's returns across orders, newest first (slice it: it is not bounded)."""
    customer_id = customer if isinstance(customer, int) else customer.pk
    return (
        ReturnRequest.objects.filter(customer_id=customer_id)
        .select_related("order", "warehouse")
        .order_by("-id")
    )


def list_returns(
    *,
    status: str | None = None,
    resolution: str | None = None,
    warehouse_code: str | None = None,
    via: str | None = None,
    query: str | None = None,
    order_number: str | None = None,
    email: str | None = None,
    created_after: datetime | None = None,
    created_before: datetime | None = None,
) -> QuerySet[ReturnRequest]:
    """The returns queue, newest first (by id, so it pages with a cursor). Every filter is
    served by an index (see ReturnRequest.Meta); `query` matches an RMA, a return tracking
    number, an order number or the customer's email exactly (see _search); `order_number`
    and `email` (any case) narrow to one order or one customer; `created_after` is
    inclusive, `created_before` exclusive."""
    queryset = ReturnRequest.objects.select_related(
        "order", "customer", "warehouse", "exchange_order"
    )
    if order_number and order_number.strip():
        queryset = queryset.filter(order__number=order_number.strip())
    if email and email.strip():
        customers = Customer.objects.annotate(email_lower=Lower("email")).filter(
            email_lower=email.strip().lower()  # the unique index's expression
        )
        queryset = queryset.filter(customer__in=customers.values("pk"))
    if created_after:
        queryset = queryset.filter(created_at__gte=created_after)
    if created_before:
        queryset = queryset.filter(created_at__lt=created_before)
    if status:
        queryset = queryset.filter(status=status)
    if resolution:
        queryset = queryset.filter(resolution=resolution)
    if warehouse_code:
        queryset = queryset.filter(warehouse__code=warehouse_code.strip().upper())
    if via:
        queryset = queryset.filter(requested_via=via)
    if query and query.strip():
        queryset = queryset.filter(_search(query.strip()))
    return queryset.order_by("-id")


def _search(text: str) -> Q:
    """The queue's search as conditions on the returns table's own indexed columns: the order
    and the customer are looked up first (one indexed row each), so the database never has to
    scan returns to match a joined column."""
    code = _normalize_code(text)
    condition = Q(rma=code) | Q(tracking_number=code)
    order_id = Order.objects.filter(number=text).values_list("pk", flat=True).first()
    if order_id is not None:
        condition |= Q(order_id=order_id)
    customer_id = (
        Customer.objects.annotate(email_lower=Lower("email"))  # the unique index's expression
        .filter(email_lower=text.lower())
        .values_list("pk", flat=True)
        .first()
    )
    if customer_id is not None:
        condition |= Q(customer_id=customer_id)
    return condition


def return_timeline(return_request: ReturnRequest | int) -> QuerySet[ReturnEvent]:
    """The return's events, oldest first."""
    return_id = return_request if isinstance(return_request, int) else return_request.pk
    return ReturnEvent.objects.filter(return_request_id=return_id).order_by("created_at", "id")


def lock_return(return_id: int) -> ReturnRequest:
    """The return row locked FOR UPDATE, after its order's row: every return write takes the
    order lock first (as every order service does), so returns and orders never deadlock.
    The locked return comes with its order (the locked instance) attached."""
    order_id = ReturnRequest.objects.filter(pk=return_id).values_list("order_id", flat=True).first()
    if order_id is None:
        raise NotFound(
            _("Return %(rma)s does not exist.") % {"rma": return_id}, code="return_not_found"
        )
    order = order_selectors.lock_order(order_id)
    return_request = (
        ReturnRequest.objects.select_for_update(of=("self",))
        .select_related("warehouse")
        .get(pk=return_id)
    )
    return_request.order = order
    return return_request
