"""estimate: validate what the customer asks to return and price it, before anything is written.

Money rules, in the order's currency, every figure quantized:
- a line's amount is its share of what was paid, the line discount spread over units with
  orders.pricing so that returning every unit of a line, in one return or several, gives back
  exactly the line's amount (the n units after `claimed` ones are worth
  line_amount(claimed + n) - line_amount(claimed)); unit_amount is one unit's share;
- restocking fee per line, its reason's percent of the line's amount;
- return shipping fee once per return when any line's reason says the customer pays it (never
  for a withdrawal, never when the customer keeps the items);
- original shipping refunded on a withdrawal of every unit still kept (see statutory.py);
- store-credit bonus, the policy's percent of items minus fees, for store credit only;
- total = items - fees + shipping refund + bonus, never below zero, and (bonus aside) never more
  than the order total minus what was already refunded for returns (Order.refunded_for_returns).
  What the gateway actually captured, and money promised to other open returns but not yet
  refunded, are the refund service's to cap when it pays (it locks the order; this does not).
A statutory withdrawal pays no fee and is never held for inspection (the law lets the trader
wait for the goods or the proof of sending, art. 13(3) of Directive 2011/83/EU, no longer), so
its refund is released on receipt when the policy says inspection.
"""

from datetime import datetime
from decimal import Decimal

from django.utils.translation import gettext as _

from orders.models import Warehouse
from orders.money import quantize, zero
from orders.pricing import line_amount
from orders.shipping import RATES
from returns.models import (
    RefundRelease,
    Resolution,
    ReturnPolicy,
    ReturnReason,
    ShippingPayer,
)
from returns.policy import statutory
from returns.policy.engine import Evaluation, evaluate, other_variants
from returns.policy.types import Estimate, LineEstimate, RequestedLine

HUNDRED = Decimal(100)


def _error(field: str, code: str, message: str) -> dict[str, str]:
    return {"field": field, "code": code, "message": str(message)}


def estimate(
    order,
    lines: list[RequestedLine],
    *,
    resolution: str,
    is_withdrawal: bool = False,
    at: datetime | None = None,
    policy: ReturnPolicy | None = None,
) -> Estimate:
    """What returning `lines` of `order` would bring at `at` (default: now) under `policy`
    (default: active_policy()), with every problem as a field error (`Estimate.errors`, empty
    when the request is acceptable). Never writes; nine queries whatever the number of lines.
    A request service calls it on the locked order, so the units it counts cannot be claimed
    by a concurrent request before the return is written."""
    evaluation = evaluate(order, at=at, policy=policy)
    decision = evaluation.decision
    policy = decision.policy
    rules = evaluation.rules
    currency = order.currency
    errors: list[dict[str, str]] = []

    if is_withdrawal:
        if decision.withdrawal is None:
            errors.append(
                _error(
                    "is_withdrawal",
                    "no_withdrawal_right",
                    _("This order has no statutory right of withdrawal."),
                )
            )
        elif not decision.withdrawal.is_open:
            errors.append(
                _error(
                    "is_withdrawal",
                    "withdrawal_period_over",
                    _("The period to withdraw from this purchase is over."),
                )
            )
    offered = set(decision.resolutions)
    if is_withdrawal:
        offered.add(Resolution.REFUND.value)  # the law's remedy, whatever the store offers
    if resolution not in offered:
        errors.append(
            _error(
                "resolution",
                "resolution_not_offered",
                _("This resolution is not offered for this order."),
            )
        )
    if not lines:
        errors.append(_error("lines", "no_lines", _("Choose at least one item to return.")))

    estimates: list[LineEstimate] = []
    rule_for_line = {}
    seen: set[int] = set()
    for index, requested in enumerate(lines):
        prefix = f"lines[{index}]"
        line_errors = _check_line(
            evaluation, requested, prefix, resolution=resolution, is_withdrawal=is_withdrawal
        )
        seen_before = requested.order_line_id in seen
        seen.add(requested.order_line_id)
        if seen_before:
            line_errors.append(
                _error(
                    f"{prefix}.order_line_id",
                    "duplicate_line",
                    _("This item is listed twice; give its quantity once."),
                )
            )
        errors.extend(line_errors)
        if line_errors:
            continue
        fact = evaluation.facts[requested.order_line_id]
        line = fact.line
        reason = requested.reason or ReturnReason.WITHDRAWAL.value
        rule = rules.rule(reason)
        amount = line_amount(line, fact.claimed + requested.quantity, currency) - line_amount(
            line, fact.claimed, currency
        )
        fee = zero(currency)
        if not is_withdrawal and rule.restocking_fee_percent:
            fee = quantize(amount * rule.restocking_fee_percent / HUNDRED, currency)
        exchange_variant = None
        exchange_amount = zero(currency)
        if requested.exchange_variant_id is not None:
            exchange_variant = next(
                v
                for v in other_variants(line, evaluation.exchange_variants)
                if v.pk == requested.exchange_variant_id
            )
            exchange_amount = quantize(exchange_variant.price * requested.quantity, currency)
        rule_for_line[line.pk] = rule
        estimates.append(
            LineEstimate(
                order_line=line,
                quantity=requested.quantity,
                reason=reason,
                unit_amount=line_amount(line, 1, currency),
                amount=amount,
                restocking_fee=fee,
                exchange_variant=exchange_variant,
                exchange_amount=exchange_amount,
            )
        )

    items = sum((e.amount for e in estimates), zero(currency))
    restocking = sum((e.restocking_fee for e in estimates), zero(currency))
    is_keep_it = (
        not is_withdrawal
        and bool(estimates)
        and all(
            rule_for_line[e.order_line.pk].keep_it_max_amount > 0
            and e.amount <= rule_for_line[e.order_line.pk].keep_it_max_amount
            for e in estimates
        )
    )
    return_shipping_fee = zero(currency)
    if (
        not is_withdrawal
        and not is_keep_it
        and any(
            rule.return_shipping_paid_by == ShippingPayer.CUSTOMER
            for rule in rule_for_line.values()
        )
    ):
        return_shipping_fee = quantize(policy.return_shipping_fee, currency)
    shipping_refund = zero(currency)
    if is_withdrawal and not errors:
        shipping_refund = _withdrawal_shipping_refund(order, evaluation, estimates)

    fees = restocking + return_shipping_fee
    base = max(items - fees + shipping_refund, zero(currency))
    available = _money_held(order)
    is_capped = base > available
    if is_capped:
        base = available
    bonus = zero(currency)
    if resolution == Resolution.STORE_CREDIT and policy.store_credit_bonus_percent:
        bonus = quantize(
            max(min(items - fees, base), zero(currency))
            * policy.store_credit_bonus_percent
            / HUNDRED,
            currency,
        )
    exchange_difference = zero(currency)
    if resolution == Resolution.EXCHANGE:
        exchange_difference = sum((e.exchange_amount for e in estimates), zero(currency)) - items

    refund_release = policy.refund_release
    if is_withdrawal and refund_release == RefundRelease.INSPECTION:
        refund_release = RefundRelease.RECEIPT
    return Estimate(
        lines=estimates,
        resolution=resolution,
        currency=currency,
        items_amount=items,
        restocking_fee=restocking,
        return_shipping_fee=return_shipping_fee,
        shipping_refund=shipping_refund,
        bonus_amount=bonus,
        total=base + bonus,
        exchange_difference=exchange_difference,
        is_withdrawal=is_withdrawal,
        is_keep_it=is_keep_it,
        requires_review=not is_withdrawal
        and any(rule.requires_review for rule in rule_for_line.values()),
        refund_release=str(refund_release),
        warehouse=_return_warehouse(policy, evaluation, estimates),
        errors=errors,
        is_capped=is_capped,
    )


def _check_line(
    evaluation: Evaluation,
    requested: RequestedLine,
    prefix: str,
    *,
    resolution: str,
    is_withdrawal: bool,
) -> list[dict[str, str]]:
    fact = evaluation.facts.get(requested.order_line_id)
    if fact is None:
        return [
            _error(
                f"{prefix}.order_line_id", "unknown_line", _("This item is not part of the order.")
            )
        ]
    decision = evaluation.line_decision(requested.order_line_id)
    if is_withdrawal:
        if not decision.is_withdrawable:
            code = decision.code if not decision.is_returnable else "not_withdrawable"
            return [
                _error(
                    f"{prefix}.order_line_id",
                    code,
                    decision.explanation
                    if not decision.is_returnable
                    else _("This item cannot be withdrawn from now."),
                )
            ]
    elif not decision.is_returnable:
        return [_error(f"{prefix}.order_line_id", decision.code, decision.explanation)]
    elif decision.is_statutory_only:
        return [
            _error(
                f"{prefix}.order_line_id",
                "withdrawal_only",
                _("This item can only be returned through the right of withdrawal."),
            )
        ]

    errors = []
    if requested.quantity < 1:
        errors.append(
            _error(f"{prefix}.quantity", "invalid_quantity", _("Return at least one unit."))
        )
    elif requested.quantity > decision.returnable_quantity:
        errors.append(
            _error(
                f"{prefix}.quantity",
                "too_many_units",
                _("At most %(count)d units of this item can be returned.")
                % {"count": decision.returnable_quantity},
            )
        )

    rules = evaluation.rules
    reason = requested.reason
    if is_withdrawal:
        if reason and reason not in ReturnReason.values:
            errors.append(
                _error(f"{prefix}.reason", "invalid_reason", _("Choose a reason from the list."))
            )
    elif not reason:
        errors.append(
            _error(f"{prefix}.reason", "reason_required", _("Tell us why you return this item."))
        )
    elif not rules.is_enabled(reason):
        errors.append(
            _error(f"{prefix}.reason", "invalid_reason", _("Choose a reason from the list."))
        )
    elif rules.rule(reason).requires_photo and requested.photo_count <= 0:
        errors.append(
            _error(
                f"{prefix}.photos",
                "photo_required",
                _("Add a photo of the item for this reason."),
            )
        )

    variant_id = requested.exchange_variant_id
    if resolution == Resolution.EXCHANGE:
        candidates = {v.pk for v in other_variants(fact.line, evaluation.exchange_variants)}
        if variant_id is None:
            errors.append(
                _error(
                    f"{prefix}.exchange_variant_id",
                    "exchange_variant_required",
                    _("Choose the variant you want instead."),
                )
            )
        elif variant_id not in candidates:
            errors.append(
                _error(
                    f"{prefix}.exchange_variant_id",
                    "invalid_exchange_variant",
                    _("This item can only be exchanged for another variant of the same product."),
                )
            )
    elif variant_id is not None:
        errors.append(
            _error(
                f"{prefix}.exchange_variant_id",
                "exchange_variant_not_expected",
                _("Choose an exchange to swap this item for another variant."),
            )
        )
    return errors


def _withdrawal_shipping_refund(order, evaluation: Evaluation, estimates) -> Decimal:
    """The original shipping, when this withdrawal covers every unit still kept (ordered, not
    cancelled, not claimed by another return): see the partial-withdrawal rule in statutory.py."""
    rule = statutory.statutory_rule(order)
    if rule is None:
        return zero(order.currency)
    kept = sum(
        f.line.quantity - f.line.quantity_cancelled - f.claimed for f in evaluation.facts.values()
    )
    if sum(e.quantity for e in estimates) < kept:
        return zero(order.currency)
    standard_rate = None
    if rule.refunds_only_standard_shipping:
        standard_rate = RATES.get(order.currency, {}).get("standard")
    return statutory.refundable_shipping(rule, order, standard_rate=standard_rate)


def _money_held(order) -> Decimal:
    """What the customer still pays for this order: its total minus what was refunded for
    returns already. `settle_payments` keeps no more than this captured, so a refund for
    returns can never exceed it; what the gateway actually captured is the refund service's
    to check when it pays (under the order lock)."""
    return max(
        quantize(order.total - order.refunded_for_returns, order.currency), zero(order.currency)
    )


def _return_warehouse(policy, evaluation: Evaluation, estimates) -> Warehouse | None:
    """The policy's return warehouse, else the one that shipped the first line, else the
    first active warehouse."""
    if policy.return_warehouse_id is not None:
        return policy.return_warehouse
    for line_estimate in estimates:
        warehouse_id = evaluation.facts[line_estimate.order_line.pk].first_warehouse_id
        if warehouse_id is not None:
            found = Warehouse.objects.filter(pk=warehouse_id).first()
            if found is not None:
                return found
    return Warehouse.objects.filter(is_active=True).order_by("priority", "code").first()
