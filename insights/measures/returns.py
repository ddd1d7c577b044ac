"""Returns: the return rate in units, and the reasons customers give, by product and warehouse."""

from django.db.models import F, Q, Sum
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from insights.measures.base import ALL, CUTS, Attribution, Measure, Unit, grouped, register
from orders.models import ShipmentLine
from returns.models import ReturnLine, ReturnReason, ReturnStatus

RETURNED_LINE = Attribution(order="return_request__order", line="order_line")
DELIVERED_LINE = Attribution(order="shipment__order", shipment="shipment", line="line")
# Returns that never happened: refused, withdrawn by the customer, or never sent.
NOT_RETURNED = (ReturnStatus.REJECTED, ReturnStatus.CANCELLED, ReturnStatus.EXPIRED)
RETURN_TEXT = _(
    "Returned units: the units on returns requested in the period, except returns rejected, "
    "cancelled or expired. A returned unit counts under the warehouse, carrier and ship date "
    "of the first shipment that carried its order line, and under its own product."
)


class ReturnMeasure(Measure):
    unit = Unit.PERCENT

    def returned(self, period, filters):
        facts = ReturnLine.objects.filter(period.contains("return_request__created_at")).exclude(
            return_request__status__in=NOT_RETURNED
        )
        return self.apply_filters(
            facts, RETURNED_LINE, filters, own={"reason": lambda q, v: q.filter(reason=v)}
        )

    def units(self, facts, cut, att) -> dict:
        """Units per key (one query)."""
        key = self.key_expression(cut, att, {"reason": F("reason")})
        rows = grouped(facts, key, {"units": Sum("quantity")})
        return {name: row["units"] or 0 for name, row in rows.items()}

    def behind(self, period, filters):
        return Q(pk__in=self.returned(period, filters).values("return_request__order_id"))


@register
class ReturnRate(ReturnMeasure):
    code = "return_rate"
    title = _("Return rate (units)")
    cuts = CUTS
    filter_names = ("reason",)
    key_labels = dict(ReturnReason.choices)
    definition = format_lazy(
        "{}{} {}",
        _(
            "Units returned per 100 units delivered, both in the period. Delivered units: the "
            "units of the shipments delivered in the period, under their shipment's warehouse, "
            "carrier and ship date. "
        ),
        RETURN_TEXT,
        _("Filter by return reason to see one reason's rate."),
    )
    drill = _("The orders with returned units.")

    def counts(self, period, cut, filters):
        returned = self.units(self.returned(period, filters), cut, RETURNED_LINE)
        delivered = ShipmentLine.objects.filter(period.contains("shipment__delivered_at"))
        delivered = self.apply_filters(
            delivered, DELIVERED_LINE, filters, own={"reason": lambda q, v: q}
        )
        return returned, self.units(delivered, cut, DELIVERED_LINE)


@register
class ReturnReasons(ReturnMeasure):
    code = "return_reasons"
    title = _("Return reasons")
    cuts = ("reason", "product", "warehouse", "carrier", "region", "channel")
    filter_names = ("reason",)
    key_labels = dict(ReturnReason.choices)
    definition = format_lazy(
        "{}{}",
        _(
            "The share of returned units given a reason, in percent. Cut by reason: each "
            "reason's share of all returned units. Cut by product, warehouse or another cut "
            "with a reason filter: that reason's share of the group's returned units. "
        ),
        RETURN_TEXT,
    )
    drill = _("The orders with returned units (for the reason, when one is chosen).")

    def counts(self, period, cut, filters):
        reason = filters.get("reason")
        everything = {k: v for k, v in filters.items() if k != "reason"}
        all_units = self.units(self.returned(period, everything), cut, RETURNED_LINE)
        if cut == "reason":
            total = sum(all_units.values())
            numerators = all_units if reason is None else {reason: all_units.get(reason, 0)}
            return numerators, dict.fromkeys(numerators, total)
        if cut is None:
            all_units = {ALL: all_units.get(ALL, 0)}
        return self.units(self.returned(period, filters), cut, RETURNED_LINE), all_units
