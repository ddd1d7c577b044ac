"""evaluate_order: which units of an order can be returned now, and why (or why not).

Units a line can still return = units delivered (ShipmentLines of delivered shipments) minus
units already claimed by returns. A unit is claimed by a return line while its return is open
(requested .. inspected) and after it was resolved or closed, and freed when the return was
rejected, cancelled or expired. `OrderLine.quantity_returned` (raised by the lifecycle when
units come back) counts the same units again, so claimed = max(quantity_returned, units in
non-void returns): whichever way the lifecycle raises quantity_returned (on receipt or on
closing), no unit is counted twice and two returns never claim the same unit.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from zoneinfo import ZoneInfo

from django.db.models import Q, Sum
from django.utils import timezone
from django.utils.dateformat import format as date_format
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from orders.models import OrderLine, Shipment, ShipmentLine, Variant
from returns.models import Resolution, ReturnLine, ReturnPolicy, ReturnStatus, ShippingPayer
from returns.models.returns import OPEN_STATUSES
from returns.policy import statutory
from returns.policy.rules import CHOOSABLE_REASONS, PolicyRules, active_policy, policy_rules
from returns.policy.types import LineDecision, OrderDecision, ReasonOption, WithdrawalRight
from returns.policy.zones import customer_time_zone, window_end

# Returns that gave their units back: the units may be returned again.
VOID_STATUSES = frozenset({ReturnStatus.REJECTED, ReturnStatus.CANCELLED, ReturnStatus.EXPIRED})


class Code:
    """Stable decision codes (the API exposes them; the portal and console style by them)."""

    RETURNABLE = "returnable"
    WITHDRAWAL_ONLY = "withdrawal_only"  # returnable only under the statutory right
    FINAL_SALE = "final_sale"
    NOT_RETURNABLE = "not_returnable"  # a 0-day window for the product or its category
    WINDOW_CLOSED = "window_closed"
    NOT_DELIVERED = "not_delivered"
    CANCELLED = "cancelled"
    IN_OPEN_RETURN = "in_open_return"
    FULLY_RETURNED = "fully_returned"


def format_day(moment: datetime, zone: str) -> str:
    """A day as the customer reads it, in their zone and the active language."""
    local = timezone.localtime(moment, timezone=ZoneInfo(zone))
    # Translators: a date format (Django's "date" filter syntax), e.g. "3 March 2026";
    # pt-BR: "j \d\e F \d\e Y".
    return date_format(local, pgettext("return window date", "j F Y"))


@dataclass
class LineFacts:
    """What the engine knows about one order line, before deciding."""

    line: OrderLine
    delivered: int = 0
    last_delivered_at: datetime | None = None
    first_warehouse_id: int | None = None  # the warehouse that shipped it first
    claimed: int = 0
    claimed_open: int = 0


@dataclass
class Evaluation:
    """evaluate_order's answer plus the facts estimate needs (not part of the interface)."""

    decision: OrderDecision
    rules: PolicyRules
    facts: dict[int, LineFacts]
    exchange_variants: dict[int, list[Variant]] = field(default_factory=dict)  # by product id

    def line_decision(self, order_line_id: int) -> LineDecision:
        return self.by_line[order_line_id]

    @cached_property
    def by_line(self) -> dict[int, LineDecision]:
        return {d.order_line.pk: d for d in self.decision.lines}


def evaluate_order(
    order, *, at: datetime | None = None, policy: ReturnPolicy | None = None
) -> OrderDecision:
    """The policy's answer for every line of `order` at `at` (default: now), under `policy`
    (default: active_policy(); pass it when you already loaded it). Eight queries whatever the
    number of lines, shipments or returns."""
    return evaluate(order, at=at, policy=policy).decision


def evaluate(
    order, *, at: datetime | None = None, policy: ReturnPolicy | None = None
) -> Evaluation:
    at = at or timezone.now()
    if policy is None:
        policy = active_policy()
    rules = policy_rules(policy)
    zone = customer_time_zone(order)
    facts = _line_facts(order)

    delivered_times = [f.last_delivered_at for f in facts.values() if f.last_delivered_at]
    withdrawal = _withdrawal_right(order, max(delivered_times, default=None), zone, at)

    product_ids = {f.line.variant.product_id for f in facts.values()}
    exchange_variants: dict[int, list[Variant]] = defaultdict(list)
    for variant in Variant.objects.filter(
        product_id__in=product_ids, is_active=True, currency=order.currency
    ).order_by("id"):
        exchange_variants[variant.product_id].append(variant)

    lines = [_decide_line(f, rules, zone, at, withdrawal) for f in facts.values()]
    resolutions = _resolutions(policy, lines, exchange_variants, withdrawal)
    decision = OrderDecision(
        policy=policy,
        lines=lines,
        resolutions=resolutions,
        reasons=reason_options(rules),
        withdrawal=withdrawal,
        time_zone=zone,
    )
    return Evaluation(decision, rules, facts, dict(exchange_variants))


def reason_options(rules: PolicyRules) -> list[ReasonOption]:
    """The reasons a customer may choose under the policy, each with what it implies."""
    options = []
    for reason in CHOOSABLE_REASONS:
        rule = rules.rule(reason)
        if not rule.is_enabled:
            continue
        options.append(
            ReasonOption(
                code=reason.value,
                label=str(reason.label),
                requires_photo=rule.requires_photo,
                customer_pays_return_shipping=(
                    rule.return_shipping_paid_by == ShippingPayer.CUSTOMER
                ),
                restocking_fee_percent=rule.restocking_fee_percent,
                keep_it_max_amount=rule.keep_it_max_amount,
                requires_review=rule.requires_review,
            )
        )
    return options


def _line_facts(order) -> dict[int, LineFacts]:
    """Three queries: lines (with variant and product), shipment lines, return claims."""
    facts = {
        line.pk: LineFacts(line=line)
        for line in OrderLine.objects.filter(order_id=order.pk)
        .select_related("variant__product")
        .order_by("line_number")
    }
    shipped = (
        ShipmentLine.objects.filter(shipment__order_id=order.pk)
        .exclude(shipment__status=Shipment.Status.CANCELLED)
        .select_related("shipment")
        .order_by("shipment_id", "id")
    )
    for shipment_line in shipped:
        fact = facts.get(shipment_line.line_id)
        if fact is None:
            continue
        shipment = shipment_line.shipment
        if fact.first_warehouse_id is None:
            fact.first_warehouse_id = shipment.warehouse_id
        if shipment.status == Shipment.Status.DELIVERED:
            fact.delivered += shipment_line.quantity
            delivered_at = shipment.delivered_at or shipment.updated_at
            if fact.last_delivered_at is None or delivered_at > fact.last_delivered_at:
                fact.last_delivered_at = delivered_at
    claims = (
        ReturnLine.objects.filter(order_line__order_id=order.pk)
        .exclude(return_request__status__in=VOID_STATUSES)
        .values("order_line_id")
        .annotate(
            units=Sum("quantity"),
            open_units=Sum("quantity", filter=Q(return_request__status__in=OPEN_STATUSES)),
        )
    )
    for claim in claims:
        fact = facts.get(claim["order_line_id"])
        if fact is not None:
            fact.claimed_open = claim["open_units"] or 0
            fact.claimed = claim["units"] or 0
    for fact in facts.values():
        fact.claimed = max(fact.claimed, fact.line.quantity_returned)
    return facts


def _withdrawal_right(order, last_delivered_at, zone, at) -> WithdrawalRight | None:
    """The statutory right, once something has been delivered (the period runs from delivery);
    None where the country gives none or nothing has arrived yet."""
    rule = statutory.statutory_rule(order)
    if rule is None or last_delivered_at is None:
        return None
    ends_at = statutory.withdrawal_ends_at(rule, last_delivered_at, zone)
    return WithdrawalRight(
        code=rule.code,
        days=rule.days,
        ends_at=ends_at,
        is_open=at <= ends_at,
        refunds_original_shipping=rule.refunds_original_shipping,
        has_withdrawal_button=rule.has_withdrawal_button,
    )


def _decide_line(
    fact: LineFacts,
    rules: PolicyRules,
    zone: str,
    at: datetime,
    withdrawal: WithdrawalRight | None,
) -> LineDecision:
    line = fact.line

    def refuse(code: str, explanation: str, window_ends_at=None) -> LineDecision:
        return LineDecision(
            order_line=line,
            returnable_quantity=0,
            is_returnable=False,
            code=code,
            explanation=explanation,
            window_ends_at=window_ends_at,
        )

    if fact.delivered == 0:
        if line.quantity_cancelled >= line.quantity:
            return refuse(Code.CANCELLED, _("This item was cancelled."))
        return refuse(Code.NOT_DELIVERED, _("This item has not been delivered yet."))
    remaining = fact.delivered - fact.claimed
    if remaining <= 0:
        if fact.claimed_open > 0:
            return refuse(
                Code.IN_OPEN_RETURN, _("Every unit of this item is already in an open return.")
            )
        return refuse(Code.FULLY_RETURNED, _("Every unit of this item has been returned."))

    days = rules.window_days(line.variant.product)
    store_ends_at = window_end(fact.last_delivered_at, days, zone) if days > 0 else None
    is_withdrawable = withdrawal is not None and withdrawal.is_open

    if line.is_final_sale or line.variant.is_final_sale:
        code, why = Code.FINAL_SALE, _("Final sale items cannot be returned.")
        store_ends_at = None
    elif days == 0:
        code, why = Code.NOT_RETURNABLE, _("This item cannot be returned.")
    elif at > store_ends_at:
        code = Code.WINDOW_CLOSED
        why = _("The return window closed on %(date)s.") % {"date": format_day(store_ends_at, zone)}
    else:
        return LineDecision(
            order_line=line,
            returnable_quantity=remaining,
            is_returnable=True,
            code=Code.RETURNABLE,
            explanation=_("Returnable until %(date)s.") % {"date": format_day(store_ends_at, zone)},
            window_ends_at=store_ends_at,
            is_withdrawable=is_withdrawable,
        )

    if not is_withdrawable:
        return LineDecision(
            order_line=line,
            returnable_quantity=0,
            is_returnable=False,
            code=code,
            explanation=why,
            window_ends_at=store_ends_at,
        )
    # The law overrides the stricter store policy.
    until = format_day(withdrawal.ends_at, zone)
    if code == Code.FINAL_SALE:
        explanation = _(
            "Final sale, but you may still withdraw from the purchase until %(date)s "
            "(statutory right of withdrawal)."
        ) % {"date": until}
    elif code == Code.NOT_RETURNABLE:
        explanation = _(
            "The store does not take this item back, but you may still withdraw from the "
            "purchase until %(date)s (statutory right of withdrawal)."
        ) % {"date": until}
    else:
        explanation = _(
            "The store's return window has closed, but you may still withdraw from the "
            "purchase until %(date)s (statutory right of withdrawal)."
        ) % {"date": until}
    return LineDecision(
        order_line=line,
        returnable_quantity=remaining,
        is_returnable=True,
        code=Code.WITHDRAWAL_ONLY,
        explanation=explanation,
        window_ends_at=withdrawal.ends_at,
        is_statutory_only=True,
        is_withdrawable=True,
    )


def other_variants(line: OrderLine, exchange_variants: dict[int, list[Variant]]) -> list[Variant]:
    """Active variants of the line's product in the order's currency, other than its own."""
    return [
        v for v in exchange_variants.get(line.variant.product_id, []) if v.pk != line.variant_id
    ]


def _resolutions(policy, lines, exchange_variants, withdrawal) -> list[str]:
    """The store's offers; exchange only when a returnable line has another variant to swap
    to; a refund always when the statutory right is open (the law's remedy is the money)."""
    offered = []
    if policy.offers_refund or (withdrawal is not None and withdrawal.is_open):
        offered.append(Resolution.REFUND.value)
    if policy.offers_store_credit:
        offered.append(Resolution.STORE_CREDIT.value)
    if policy.offers_exchange and any(
        d.is_returnable and other_variants(d.order_line, exchange_variants) for d in lines
    ):
        offered.append(Resolution.EXCHANGE.value)
    return offered
