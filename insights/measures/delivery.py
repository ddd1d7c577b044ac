"""Delivery: on time against the promised date, delayed, and exceptions, per shipment."""

from django.db.models import Count, Exists, F, OuterRef, Q
from django.db.models.functions import Coalesce, TruncDate
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from insights.measures.base import (
    CUTS,
    Attribution,
    Measure,
    Period,
    Unit,
    grouped,
    register,
    store_zone,
)
from orders.models import Shipment, TrackingEvent

SHIPMENT = Attribution(order="order", shipment="")
SHIPMENT_TEXT = _(
    "Each shipment counts under its own warehouse, carrier and ship date (the store's day), "
    "its order's destination and channel, and each product it carries."
)


def delivered_on_time() -> Q:
    return Q(insight_delivered_day__lte=F("insight_promised"))


def with_promise(queryset):
    """Shipments with the day they were delivered (store time) and the day promised (the
    shipment's own promise, else the order's)."""
    return queryset.annotate(
        insight_promised=Coalesce("promised_delivery_date", "order__promised_delivery_date"),
        insight_delivered_day=TruncDate("delivered_at", tzinfo=store_zone()),
    ).filter(insight_promised__isnull=False)


def has_exception_scan():
    return Exists(
        TrackingEvent.objects.filter(
            shipment_id=OuterRef("pk"), status=TrackingEvent.Status.EXCEPTION
        )
    )


class ShipmentMeasure(Measure):
    cuts = CUTS
    unit = Unit.PERCENT

    def shipped(self, period: Period, filters):
        facts = Shipment.objects.filter(period.contains("shipped_at"))
        return self.apply_filters(facts, SHIPMENT, filters)

    def shares(self, facts, cut, condition):
        rows = grouped(
            facts,
            self.key_expression(cut, SHIPMENT),
            {
                "hit": Count("pk", distinct=True, filter=condition),
                "all": Count("pk", distinct=True),
            },
        )
        return (
            {key: row["hit"] for key, row in rows.items()},
            {key: row["all"] for key, row in rows.items()},
        )


@register
class OnTimeRate(ShipmentMeasure):
    code = "on_time_rate"
    title = _("Delivered on time")
    higher_is_better = True
    definition = format_lazy(
        "{}{}",
        _(
            "Of the shipments delivered in the period that had a promised delivery date (the "
            "shipment's, else the order's), the share delivered on or before that date, in "
            "percent; the delivery day is the store's calendar day (its time zone). "
        ),
        SHIPMENT_TEXT,
    )
    drill = _("The orders of the shipments delivered late.")

    def delivered(self, period, filters):
        facts = Shipment.objects.filter(period.contains("delivered_at"))
        return with_promise(self.apply_filters(facts, SHIPMENT, filters))

    def counts(self, period, cut, filters):
        return self.shares(self.delivered(period, filters), cut, delivered_on_time())

    def behind(self, period, filters):
        late = self.delivered(period, filters).exclude(delivered_on_time())
        return Q(pk__in=late.values("order_id"))


@register
class DelayRate(ShipmentMeasure):
    code = "delay_rate"
    title = _("Delayed shipments")
    definition = format_lazy(
        "{}{}",
        _(
            "Of the shipments shipped in the period, the share the delay watch flagged (late "
            "against the promise, stalled without a carrier scan, or in exception), whenever it "
            "flagged them, in percent. "
        ),
        SHIPMENT_TEXT,
    )
    drill = _("The orders of the delayed shipments.")

    def counts(self, period, cut, filters):
        return self.shares(self.shipped(period, filters), cut, Q(delayed_at__isnull=False))

    def behind(self, period, filters):
        return Q(
            pk__in=self.shipped(period, filters).filter(delayed_at__isnull=False).values("order_id")
        )


@register
class ExceptionRate(ShipmentMeasure):
    code = "exception_rate"
    title = _("Shipments with a carrier exception")
    definition = format_lazy(
        "{}{}",
        _(
            "Of the shipments shipped in the period, the share with at least one exception scan "
            "from the carrier (at any time), in percent. "
        ),
        SHIPMENT_TEXT,
    )
    drill = _("The orders of the shipments with an exception scan.")

    def counts(self, period, cut, filters):
        return self.shares(self.shipped(period, filters), cut, Q(has_exception_scan()))

    def behind(self, period, filters):
        facts = self.shipped(period, filters).filter(has_exception_scan())
        return Q(pk__in=facts.values("order_id"))
