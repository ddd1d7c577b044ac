"""Contact rates: contacts per 100 orders and per 100 shipments in flight, and the share of
"where is my order" contacts.

A *contact* is a support case opened in the period (its first contact) or a further contact on
any case logged in the period (a CaseEvent of type "contact"): each contact counts once, on the
day it happened, with its case's reason and attribution.
"""

from datetime import timedelta
from typing import Any

from django.db.models import Count, F, Q, QuerySet
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from insights.measures.base import (
    ALL,
    CUTS,
    Attribution,
    Measure,
    Period,
    Unit,
    grouped,
    register,
    shipment_field,
)
from orders.models import Order, Shipment
from support.models import Case, CaseEvent

LOST_AFTER = timedelta(days=30)
CASE = Attribution(order="order", shipment="shipment", shipment_nullable=True)
EVENT = Attribution(order="case__order", shipment="case__shipment", shipment_nullable=True)
ORDER = Attribution(order="")
SHIPMENT = Attribution(order="order", shipment="")
REASONS = dict(Case.Reason.choices)
ATTRIBUTION_TEXT = _(
    "A contact about a named shipment goes to that shipment's warehouse, carrier and ship "
    "date; one about an order only, to the order's first shipment."
)


def contact_facts(period: Period) -> tuple[tuple[QuerySet, Attribution, str], ...]:
    """The two kinds of contact in the period, each with its attribution and its reason's path."""
    cases = Case.objects.filter(period.contains("opened_at"))
    events = CaseEvent.objects.filter(type=CaseEvent.Type.CONTACT).filter(
        period.contains("created_at")
    )
    return ((cases, CASE, "reason"), (events, EVENT, "case__reason"))


def shipments_in_flight(period: Period) -> QuerySet[Shipment]:
    """Shipments with the carrier at some moment of the period: shipped before its end and not
    delivered before its start. A parcel not delivered LOST_AFTER its shipping is lost, no
    longer in flight (as the alerts read exposure), which also bounds the read to a range of
    `shipped_at`."""
    return Shipment.objects.filter(
        shipped_at__lt=period.end, shipped_at__gte=period.start - LOST_AFTER
    ).filter(Q(delivered_at__isnull=True) | Q(delivered_at__gte=period.start))


class ContactMeasure(Measure):
    """Counting contacts, shared by the contact measures."""

    key_labels = REASONS

    def contacts(
        self,
        period: Period,
        cut: str | None,
        filters: dict,
        *,
        reason: str | None = None,
        attributed_only: bool = False,
    ) -> dict[str, Any]:
        """Contacts per key: two queries (cases opened, further contacts)."""
        totals: dict[str, Any] = {}
        for facts, att, reason_path in contact_facts(period):
            facts = self.contact_filters(facts, att, reason_path, filters, reason, attributed_only)
            key = self.key_expression(cut, att, {"reason": F(reason_path)})
            for name, row in grouped(facts, key, {"n": Count("pk", distinct=True)}).items():
                totals[name] = totals.get(name, 0) + (row["n"] or 0)
        return totals

    def contact_filters(self, facts, att, reason_path, filters, reason, attributed_only):
        facts = self.apply_filters(
            facts, att, filters, own={"reason": lambda q, v: q.filter(**{reason_path: v})}
        )
        if reason:
            facts = facts.filter(**{reason_path: reason})
        if attributed_only:
            facts = facts.annotate(insight_shipment=shipment_field(att, "id")).filter(
                insight_shipment__isnull=False
            )
        return facts

    def contacted_orders(
        self, period: Period, filters: dict, *, reason: str | None = None, attributed_only=False
    ) -> Q:
        condition = Q(pk__in=[])
        for facts, att, reason_path in contact_facts(period):
            facts = self.contact_filters(facts, att, reason_path, filters, reason, attributed_only)
            condition |= Q(pk__in=facts.values(f"{att.order}_id"))
        return condition


@register
class ContactsPer100Orders(ContactMeasure):
    code = "contacts_per_100_orders"
    title = _("Contacts per 100 orders")
    unit = Unit.PER_100_ORDERS
    cuts = (*CUTS, "reason")
    filter_names = ("reason",)
    definition = format_lazy(
        "{}{}",
        _(
            "Contacts in the period per 100 orders placed in the period. A contact is a support "
            "case opened in the period or a further contact on a case logged in the period; each "
            "counts once, with its case's reason (filter: reason). Orders: every order placed in "
            "the period, in every channel. An order belongs to the warehouse, carrier and ship "
            "date of its first shipment; "
        ),
        ATTRIBUTION_TEXT,
    )
    drill = _("The orders the contacts were about.")

    def counts(self, period, cut, filters):
        numerators = self.contacts(period, cut, filters)
        orders = self.apply_filters(
            Order.objects.filter(period.contains("created_at")),
            ORDER,
            filters,
            own={"reason": lambda q, v: q},
        )
        if cut == "reason":
            total = grouped(orders, None, {"n": Count("pk")})[ALL]["n"]
            return numerators, dict.fromkeys(numerators, total)
        key = self.key_expression(cut, ORDER)
        totals = grouped(orders, key, {"n": Count("pk", distinct=True)})
        return numerators, {k: v["n"] for k, v in totals.items()}

    def behind(self, period, filters):
        return self.contacted_orders(period, filters)


@register
class ContactsPer100Shipments(ContactMeasure):
    code = "contacts_per_100_shipments"
    title = _("Contacts per 100 shipments in flight")
    unit = Unit.PER_100_SHIPMENTS
    cuts = (*CUTS, "reason")
    filter_names = ("reason",)
    definition = format_lazy(
        "{}{}",
        _(
            "Contacts in the period that can be tied to a shipment, per 100 shipments in flight. "
            "A contact is a support case opened in the period or a further contact on a case "
            "logged in the period (filter: reason); contacts about no order, or about an order "
            "without shipments, are left out. In flight: shipments with the carrier at some moment "
            "of the period (shipped before it ends, not delivered before it starts; a parcel still "
            "not delivered 30 days after shipping counts as lost), each counted once. "
        ),
        ATTRIBUTION_TEXT,
    )
    drill = _("The orders the contacts were about.")

    def counts(self, period, cut, filters):
        numerators = self.contacts(period, cut, filters, attributed_only=True)
        shipments = self.apply_filters(
            shipments_in_flight(period), SHIPMENT, filters, own={"reason": lambda q, v: q}
        )
        if cut == "reason":
            total = grouped(shipments, None, {"n": Count("pk")})[ALL]["n"]
            return numerators, dict.fromkeys(numerators, total)
        totals = grouped(
            shipments, self.key_expression(cut, SHIPMENT), {"n": Count("pk", distinct=True)}
        )
        return numerators, {k: v["n"] for k, v in totals.items()}

    def behind(self, period, filters):
        return self.contacted_orders(period, filters, attributed_only=True)


@register
class WismoShare(ContactMeasure):
    code = "wismo_share"
    title = _("Where-is-my-order share of contacts")
    unit = Unit.PERCENT
    cuts = CUTS
    definition = format_lazy(
        "{}{}",
        _(
            "The share of contacts in the period whose case reason is “where is my "
            "order”, in percent. A contact is a support case opened in the period or a "
            "further contact on a case logged in the period. "
        ),
        ATTRIBUTION_TEXT,
    )
    drill = _("The orders of the where-is-my-order contacts.")

    def counts(self, period, cut, filters):
        wismo = self.contacts(period, cut, filters, reason=Case.Reason.WHERE_IS_MY_ORDER)
        return wismo, self.contacts(period, cut, filters)

    def behind(self, period, filters):
        return self.contacted_orders(period, filters, reason=Case.Reason.WHERE_IS_MY_ORDER)
