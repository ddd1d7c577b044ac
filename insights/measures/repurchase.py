"""Repurchase within 90 days, compared across what the customer went through on the order."""

from datetime import timedelta

from django.db.models import (
    Count,
    DateTimeField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce, TruncDate
from django.utils.translation import gettext_lazy as _

from insights.measures.base import (
    ALL,
    Attribution,
    Measure,
    Unit,
    grouped,
    invalid,
    register,
    store_zone,
)
from insights.measures.returns import NOT_RETURNED
from orders.models import Order, Shipment
from returns.models import Resolution, ReturnRequest
from support.models import Case

WINDOW = timedelta(days=90)
ORDER = Attribution(order="")
# Orders a customer chose to place (replacements and exchanges are the store's doing).
PURCHASES = (Order.Channel.WEB, Order.Channel.MARKETPLACE, Order.Channel.API, Order.Channel.CSR)
EXPERIENCES = {
    "on_time": _("Delivered on time"),
    "delayed": _("Delayed"),
    "contacted": _("Contacted support"),
    "not_contacted": _("Did not contact support"),
    "exchanged": _("Exchanged"),
    "refunded": _("Refunded"),
}


def delivered_at(order_ref):
    """When the order's last shipment was delivered."""
    return Subquery(
        Shipment.objects.filter(order_id=order_ref, delivered_at__isnull=False)
        .order_by("-delivered_at")
        .values("delivered_at")[:1]
    )


def delivered_purchases():
    return Order.objects.filter(status=Order.Status.DELIVERED, channel__in=PURCHASES).annotate(
        insight_delivered_at=delivered_at(OuterRef("pk"))
    )


def first_deliveries(period):
    """Per customer, the first purchase delivered in the period (ties: the lowest id). Read
    from the shipments delivered in the period, so the orders table is never scanned whole."""
    delivered_in_period = Shipment.objects.filter(period.contains("delivered_at")).values(
        "order_id"
    )
    candidates = delivered_purchases().filter(pk__in=delivered_in_period)
    earlier = candidates.filter(
        Q(insight_delivered_at__lt=OuterRef("insight_delivered_at"))
        | Q(insight_delivered_at=OuterRef("insight_delivered_at"), pk__lt=OuterRef("pk")),
        customer_id=OuterRef("customer_id"),
        insight_delivered_at__gte=period.start,
    )
    return candidates.filter(period.contains("insight_delivered_at")).filter(~Exists(earlier))


def returned_as(*resolutions):
    return Exists(
        ReturnRequest.objects.filter(order_id=OuterRef("pk"), resolution__in=resolutions).exclude(
            status__in=NOT_RETURNED
        )
    )


def with_experiences(orders):
    late = (
        Shipment.objects.filter(order_id=OuterRef("pk"))
        .annotate(
            insight_promised=Coalesce("promised_delivery_date", "order__promised_delivery_date"),
            insight_day=TruncDate("delivered_at", tzinfo=store_zone()),
        )
        .filter(Q(delayed_at__isnull=False) | Q(insight_day__gt=F("insight_promised")))
    )
    window_end = ExpressionWrapper(
        OuterRef("insight_delivered_at") + Value(WINDOW), output_field=DateTimeField()
    )
    again = (
        Order.objects.filter(
            customer_id=OuterRef("customer_id"),
            channel__in=PURCHASES,
            created_at__gt=OuterRef("created_at"),
            created_at__lte=window_end,
        )
        .exclude(status=Order.Status.CANCELLED)
        .exclude(pk=OuterRef("pk"))
    )
    return orders.annotate(
        insight_repurchased=Exists(again),
        insight_delayed=Exists(late),
        insight_contacted=Exists(Case.objects.filter(order_id=OuterRef("pk"))),
        insight_exchanged=returned_as(Resolution.EXCHANGE),
        insight_refunded=returned_as(Resolution.REFUND, Resolution.STORE_CREDIT),
    )


EXPERIENCE_CONDITIONS = {
    "on_time": Q(insight_delayed=False),
    "delayed": Q(insight_delayed=True),
    "contacted": Q(insight_contacted=True),
    "not_contacted": Q(insight_contacted=False),
    "exchanged": Q(insight_exchanged=True),
    "refunded": Q(insight_refunded=True),
}
REPURCHASED = Q(insight_repurchased=True)


@register
class Repurchase90d(Measure):
    code = "repurchase_90d"
    title = _("Repurchase within 90 days")
    unit = Unit.PERCENT
    higher_is_better = True
    cuts = ("experience", "warehouse", "carrier", "region", "ship_date", "channel")
    filter_names = ("experience",)
    key_labels = EXPERIENCES
    definition = _(
        "Of the customers with a purchase delivered in the period (an order of theirs in the "
        "web, marketplace, API or customer service channel whose last shipment was delivered "
        "in the period; the first such order counts), the share who placed another purchase, "
        "not cancelled, after it and within 90 days of its delivery, in percent. Customers "
        "whose 90 days have not passed yet count as not having bought again: read periods "
        "that ended 90 days ago. Experiences of that order: delayed (a shipment flagged "
        "delayed or delivered after its promised day) or on time; contacted support about it "
        "or not; exchanged or refunded (refund or store credit) through a return that was not "
        "rejected, cancelled or expired. The order goes to the warehouse, carrier and ship "
        "date of its first shipment."
    )
    drill = _("The delivered orders whose customer did not buy again within 90 days.")

    def clean(self, cut, filters):
        filters = super().clean(cut, filters)
        if "experience" in filters and filters["experience"] not in EXPERIENCES:
            raise invalid("experience", "invalid_choice", _("Unknown experience."))
        return filters

    def cohort(self, period, filters):
        orders = with_experiences(first_deliveries(period))
        return self.apply_filters(
            orders,
            ORDER,
            filters,
            own={"experience": lambda q, v: q.filter(EXPERIENCE_CONDITIONS[v])},
        )

    def counts(self, period, cut, filters):
        cohort = self.cohort(period, filters)
        if cut == "experience":
            aggregates = {}
            for name, condition in EXPERIENCE_CONDITIONS.items():
                aggregates[f"{name}_all"] = Count("pk", filter=condition)
                aggregates[f"{name}_again"] = Count("pk", filter=condition & REPURCHASED)
            row = grouped(cohort, None, aggregates)[ALL]
            names = [filters["experience"]] if "experience" in filters else list(EXPERIENCES)
            return (
                {name: row[f"{name}_again"] for name in names},
                {name: row[f"{name}_all"] for name in names},
            )
        rows = grouped(
            cohort,
            self.key_expression(cut, ORDER),
            {"again": Count("pk", filter=REPURCHASED), "all": Count("pk")},
        )
        return (
            {key: row["again"] for key, row in rows.items()},
            {key: row["all"] for key, row in rows.items()},
        )

    def behind(self, period, filters):
        return Q(pk__in=self.cohort(period, filters).filter(insight_repurchased=False).values("pk"))
