"""Customer 360: everything the console knows about one customer, read in a fixed number of
queries whatever the number of orders, cases, credits or messages."""

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from django.db.models import CharField, Count, Prefetch, Q, Sum
from django.db.models.functions import Cast
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from notifications.models import Delivery
from oms.exceptions import NotFound
from orders import money
from orders.models import Address, Customer, Order, OrderEvent, SavedPaymentMethod
from returns.models import ReturnRequest, StoreCreditEntry
from support.models import Case
from support.selectors.cases import annotate_fcr
from support.selectors.returns import returns_for_customer

ORDERS_SHOWN = 15
ORDERS_MAX = 500
CASES_SHOWN = 25
LEDGER_SHOWN = 25
NOTIFICATIONS_SHOWN = 25
RETURNS_SHOWN = 15
RECENT = timedelta(days=30)
MANY_CONTACTS = 3


@dataclass(frozen=True)
class Flag:
    code: str
    label: str
    level: str  # "bad" or "warn": the colour
    detail: str = ""


@dataclass(frozen=True)
class Amount:
    currency: str
    amount: Decimal
    count: int = 0


@dataclass
class Customer360:
    customer: Customer
    addresses: list[Address]
    payment_methods: list[SavedPaymentMethod]
    orders: list[Order]
    order_count: int
    lifetime_value: list[Amount]
    cases: list[Case]
    case_count: int
    store_credit: list[Amount]
    store_credit_entries: list[StoreCreditEntry]
    notifications: list[Delivery]
    flags: list[Flag] = field(default_factory=list)
    returns: list[ReturnRequest] = field(default_factory=list)  # newest first (issue 5)

    @property
    def has_more_orders(self) -> bool:
        return len(self.orders) < self.order_count


def _orders_summary(customer: Customer) -> tuple[int, list[Amount], dict]:
    """Order count, lifetime value per currency (non-cancelled totals) and what the flags
    need, in one aggregate over the customer's orders (order_customer_idx)."""
    rows = (
        Order.objects.filter(customer=customer)
        .order_by()
        .values("currency")
        .annotate(
            count=Count("id"),
            value=Sum("total", filter=~Q(status=Order.Status.CANCELLED)),
            attention=Count("id", filter=Q(needs_attention=True)),
            on_hold=Count("id", filter=Q(status=Order.Status.ON_HOLD)),
        )
        .order_by("-count", "currency")
    )
    count, value, extra = 0, [], {"attention": 0, "on_hold": 0}
    for row in rows:
        count += row["count"]
        extra["attention"] += row["attention"]
        extra["on_hold"] += row["on_hold"]
        value.append(
            Amount(
                currency=row["currency"],
                amount=money.quantize(row["value"] or 0, row["currency"]),
                count=row["count"],
            )
        )
    return count, value, extra


def _notifications(customer: Customer, limit: int) -> list[Delivery]:
    """Messages sent to the customer about their orders, returns, support cases or themselves
    (deliveries are indexed by what they are about: delivery_aggregate_idx), newest first;
    live pushes and webhooks excluded."""
    numbers = Order.objects.filter(customer=customer).values("number")
    case_ids = (
        Case.objects.filter(customer=customer)
        .annotate(key=Cast("id", output_field=CharField()))
        .values("key")
    )
    return list(
        Delivery.objects.filter(
            Q(aggregate_type="order", aggregate_id__in=numbers)
            | Q(aggregate_type="case", aggregate_id__in=case_ids)
            | Q(aggregate_type="customer", aggregate_id=str(customer.pk))
            | Q(
                aggregate_type="return",
                aggregate_id__in=ReturnRequest.objects.filter(customer=customer).values("rma"),
            )
        )
        .exclude(channel__in=[Delivery.Channel.LIVE, Delivery.Channel.WEBHOOK])
        .order_by("-created_at", "-pk")[:limit]
    )


def get_customer_360(
    customer_id: int, *, all_orders: bool = False, now: datetime | None = None
) -> Customer360:
    """The customer and everything about them. `all_orders` lists up to ORDERS_MAX orders
    instead of the newest ORDERS_SHOWN."""
    now = now or timezone.now()
    since = now - RECENT
    queryset = Customer.objects.prefetch_related(
        Prefetch("addresses", queryset=Address.objects.order_by("-is_default", "id")),
        Prefetch(
            "saved_payment_methods",
            queryset=SavedPaymentMethod.objects.defer("token").order_by("-is_default", "id"),
        ),
    )
    try:
        customer = queryset.get(pk=customer_id)
    except Customer.DoesNotExist:
        raise NotFound(
            f"Customer {customer_id} does not exist.", code="customer_not_found"
        ) from None

    order_count, lifetime_value, order_flags = _orders_summary(customer)
    limit = ORDERS_MAX if all_orders else ORDERS_SHOWN
    orders = list(
        Order.objects.filter(customer=customer)
        .only(
            "id",
            "number",
            "status",
            "channel",
            "currency",
            "total",
            "created_at",
            "external_reference",
            "needs_attention",
            "attention_reason",
            "hold_reason",
            "promised_delivery_date",
            "customer_id",
        )
        .order_by("-id")[:limit]
    )

    case_stats = Case.objects.filter(customer=customer).aggregate(
        total=Count("id"),
        recent=Count("id", filter=Q(opened_at__gte=since)),
        open=Count("id", filter=~Q(status=Case.Status.RESOLVED)),
    )
    cases = list(
        annotate_fcr(
            Case.objects.filter(customer=customer).select_related("order"), now=now
        ).order_by("-opened_at", "-id")[:CASES_SHOWN]
    )

    credit_rows = (
        StoreCreditEntry.objects.filter(customer=customer)
        .order_by()
        .values("currency")
        .annotate(balance=Sum("amount"), count=Count("id"))
        .order_by("currency")
    )
    store_credit = [
        Amount(row["currency"], money.quantize(row["balance"], row["currency"]), row["count"])
        for row in credit_rows
    ]
    entries = list(
        StoreCreditEntry.objects.filter(customer=customer)
        .select_related("order")
        .only(
            "id",
            "currency",
            "amount",
            "kind",
            "reference",
            "reason",
            "created_at",
            "actor_kind",
            "actor_label",
            "order__id",
            "order__number",
        )
        .order_by("-created_at", "-id")[:LEDGER_SHOWN]
    )

    last_cancellation = (
        OrderEvent.objects.filter(
            order__customer=customer, type=OrderEvent.Type.CANCELLED, created_at__gte=since
        )
        .select_related("order")
        .only("id", "created_at", "reason", "order__id", "order__number")
        .order_by("-created_at")
        .first()
    )

    flags = []
    if case_stats["recent"] >= MANY_CONTACTS:
        flags.append(
            Flag(
                "many_contacts",
                _("Many recent contacts"),
                "bad",
                _("%(count)d cases in 30 days") % {"count": case_stats["recent"]},
            )
        )
    if case_stats["open"]:
        flags.append(
            Flag(
                "open_case",
                _("Open case"),
                "warn",
                _("%(count)d not resolved") % {"count": case_stats["open"]},
            )
        )
    if order_flags["attention"]:
        flags.append(
            Flag(
                "order_attention",
                _("Order needs attention"),
                "bad",
                _("%(count)d orders flagged") % {"count": order_flags["attention"]},
            )
        )
    if order_flags["on_hold"]:
        flags.append(
            Flag(
                "order_on_hold",
                _("Order on hold"),
                "warn",
                _("%(count)d on hold") % {"count": order_flags["on_hold"]},
            )
        )
    if last_cancellation is not None:
        flags.append(
            Flag(
                "recent_cancellation",
                _("Recent cancellation"),
                "warn",
                _("#%(number)s on %(date)s")
                % {
                    "number": last_cancellation.order.number,
                    "date": date_format(
                        timezone.localtime(last_cancellation.created_at), "SHORT_DATE_FORMAT"
                    ),
                },
            )
        )

    return Customer360(
        customer=customer,
        addresses=list(customer.addresses.all()),
        payment_methods=list(customer.saved_payment_methods.all()),
        orders=orders,
        order_count=order_count,
        lifetime_value=lifetime_value,
        cases=cases,
        case_count=case_stats["total"],
        store_credit=store_credit,
        store_credit_entries=entries,
        notifications=_notifications(customer, NOTIFICATIONS_SHOWN),
        flags=flags,
        returns=returns_for_customer(customer.pk, limit=RETURNS_SHOWN),
    )
