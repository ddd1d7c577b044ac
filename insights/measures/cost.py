"""Cost to serve: the money given back or spent again after the sale (return refunds, store
credit for returns, goodwill credit, price adjustments, shipping fee waivers, replacement
goods), per order, in one currency at a time."""

from django.conf import settings
from django.db.models import (
    Count,
    DecimalField,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
)
from django.utils.translation import gettext_lazy as _

from insights.measures.base import (
    ALL,
    Attribution,
    Measure,
    Unit,
    grouped,
    invalid,
    register,
)
from orders import money
from orders.models import Order, OrderAdjustment, OrderLine
from returns.models import ReturnRefund

ORDER = Attribution(order="")
COMPONENTS = {
    "refund": _("Refunds for returns"),
    "store_credit": _("Store credit for returns"),
    "goodwill_credit": _("Goodwill credit"),
    "price_adjustment": _("Price adjustments"),
    "shipping_refund": _("Shipping fee waivers"),
    "reship": _("Replacements sent"),
}
AMOUNT = DecimalField(max_digits=money.MAX_DIGITS + 6, decimal_places=money.DECIMAL_PLACES)


def original_unit_price():
    """A replacement line's worth: the unit price of the same SKU on the original order."""
    return Subquery(
        OrderLine.objects.filter(order_id=OuterRef("order__original_order_id"), sku=OuterRef("sku"))
        .order_by("line_number")
        .values("unit_price")[:1]
    )


def cost_facts(period, currency):
    """(facts, attribution, amount, component) for each kind of money, in one currency."""
    refunds = ReturnRefund.objects.filter(
        period.contains("created_at"),
        kind__in=(ReturnRefund.Kind.REFUND, ReturnRefund.Kind.STORE_CREDIT),
        return_request__currency=currency,
    )
    adjustments = OrderAdjustment.objects.filter(
        period.contains("created_at"), order__currency=currency
    )
    replacements = OrderLine.objects.filter(
        period.contains("order__created_at"),
        order__channel=Order.Channel.REPLACEMENT,
        order__original_order__isnull=False,
        order__currency=currency,
    ).exclude(order__status=Order.Status.CANCELLED)
    worth = ExpressionWrapper(
        (F("quantity") - F("quantity_cancelled")) * original_unit_price(), output_field=AMOUNT
    )
    return (
        (refunds, Attribution(order="return_request__order"), F("amount"), F("kind")),
        (adjustments, Attribution(order="order"), F("amount"), F("kind")),
        (replacements, Attribution(order="order__original_order"), worth, Value("reship")),
    )


@register
class CostToServe(Measure):
    code = "cost_to_serve"
    title = _("Cost to serve")
    unit = Unit.MONEY_PER_ORDER
    cuts = ("warehouse", "carrier", "region", "ship_date", "channel", "component")
    filter_names = ("currency", "component")
    key_labels = COMPONENTS
    definition = _(
        "Money given back or spent again in the period, per order placed in the period, in one "
        "currency (filter: currency; the store's by default; amounts in different currencies "
        "are never added). Counted: refunds and store credit paid for returns (not the store "
        "credit bonus), goodwill credit, price adjustments and shipping fee waivers (by when "
        "they were given), and replacement orders placed in the period, worth the original "
        "order's unit prices. Each amount goes to its order (a replacement's, to the original "
        "order) and the order to the warehouse, carrier and ship date of its first shipment. "
        "Numerator: the total; denominator: the orders; value: per order."
    )
    drill = _("The orders money was given back on (for a replacement, the original order).")

    def clean(self, cut, filters):
        filters = super().clean(cut, filters)
        currency = filters.setdefault("currency", settings.OMS_DEFAULT_CURRENCY)
        if not money.is_known_currency(currency):
            raise invalid("currency", "invalid_currency", _("Unknown currency."))
        if "component" in filters and filters["component"] not in COMPONENTS:
            raise invalid("component", "invalid_choice", _("Unknown cost component."))
        return filters

    def narrowed(self, facts, att, component, filters):
        return self.apply_filters(
            facts,
            att,
            filters,
            own={
                "currency": lambda q, v: q,
                "component": lambda q, v: q.annotate(insight_component=component).filter(
                    insight_component=v
                ),
            },
        )

    def counts(self, period, cut, filters):
        totals: dict = {}
        for facts, att, amount, component in cost_facts(period, filters["currency"]):
            facts = self.narrowed(facts, att, component, filters)
            key = self.key_expression(cut, att, {"component": component})
            for name, row in grouped(
                facts, key, {"amount": Sum(amount, output_field=AMOUNT)}
            ).items():
                totals[name] = totals.get(name, 0) + (row["amount"] or 0)
        orders = Order.objects.filter(period.contains("created_at"), currency=filters["currency"])
        orders = self.apply_filters(
            orders, ORDER, filters, own={"currency": lambda q, v: q, "component": lambda q, v: q}
        )
        totals = {
            name: money.quantize(total, filters["currency"]) for name, total in totals.items()
        }
        if cut == "component":
            count = grouped(orders, None, {"n": Count("pk")})[ALL]["n"] or 0
            keys = [filters["component"]] if "component" in filters else list(COMPONENTS)
            return {k: totals.get(k, 0) for k in keys}, dict.fromkeys(keys, count)
        counted = grouped(orders, self.key_expression(cut, ORDER), {"n": Count("pk")})
        return totals, {name: row["n"] for name, row in counted.items()}

    def value(self, numerator, denominator, filters):
        if not denominator:
            return None
        return money.quantize(numerator / denominator, filters["currency"])

    def behind(self, period, filters):
        condition = Q(pk__in=[])
        for facts, att, _amount, component in cost_facts(period, filters["currency"]):
            facts = self.narrowed(facts, att, component, filters)
            condition |= Q(pk__in=facts.values(f"{att.order}_id"))
        return condition
