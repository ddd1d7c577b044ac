"""Discretionary adjustments a rep makes to an order: a price adjustment on one line or on the
whole order, a shipping fee waiver, and goodwill credit (recorded here; returns.services gives it
as store credit). Totals come from orders.pricing only; money follows through
payments.settle_payments after commit: a refund of the difference when more was captured than
is now owed, otherwise simply less to capture at shipment.

Who may do how much is not decided here: support.services.authority and approvals decide, and
call these services to apply."""

import copy
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.db.models import Sum
from django.utils.translation import gettext as _

from oms.actors import Actor
from oms.exceptions import InvalidTransition, ValidationFailed
from orders import money, pricing, selectors
from orders.models import Order, OrderAdjustment, OrderEvent, OrderLine, Payment
from orders.services import events, payments

Kind = OrderAdjustment.Kind
Reason = OrderAdjustment.Reason
HUNDRED = Decimal(100)


@dataclass(frozen=True)
class AdjustmentPlan:
    """What an adjustment comes to, before it is applied: the preview shows it, apply applies
    exactly it (both are computed by `plan_price_adjustment`)."""

    kind: str
    line: OrderLine | None
    amount: Decimal
    percentage: Decimal | None
    # What is added to the line's discount (differs from `amount` when units were cancelled:
    # a line's discount is for the line as ordered, see orders.pricing).
    discount_increase: Decimal
    before: pricing.Totals
    after: pricing.Totals
    # Money taken from the customer so far (captured minus refunded, every payment).
    paid: Decimal
    # What refunds for returned units already gave back (`Order.refunded_for_returns`): the
    # customer owes the total less it.
    refunded_for_returns: Decimal = Decimal(0)

    @property
    def refund_now(self) -> Decimal:
        """What settle_payments will refund at once: captured money above what the order
        owes after the adjustment, beyond what it would refund anyway."""
        return max(Decimal(0), self.paid - self._owed(self.after)) - max(
            Decimal(0), self.paid - self._owed(self.before)
        )

    def _owed(self, totals: pricing.Totals) -> Decimal:
        return max(totals.total - self.refunded_for_returns, Decimal(0))

    @property
    def less_to_charge(self) -> Decimal:
        """What will not be captured (or paid) any more: the rest of the reduction."""
        return self.before.total - self.after.total - self.refund_now


def _error(field: str, code: str, message: str) -> dict[str, str]:
    return {"field": field, "code": code, "message": message}


def _as_decimal(value) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        result = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return Decimal("NaN")
    return result


def text_errors(reason_code: str, note: str, *, reasons=Reason.values) -> list[dict[str, str]]:
    """Every discretionary action carries a reason code and a note."""
    errors = []
    if reason_code not in reasons:
        errors.append(_error("reason_code", "invalid_reason", _("Choose a reason.")))
    if not (note or "").strip():
        errors.append(_error("note", "required", _("Write a note: why, and what was agreed.")))
    return errors


def amount_errors(field: str, amount: Decimal, currency: str) -> list[dict[str, str]]:
    """A positive, finite amount in the currency's minor unit that a money column holds."""
    if not amount.is_finite() or amount <= 0:
        return [_error(field, "invalid_amount", _("Enter an amount above zero."))]
    if amount > money.MAX_AMOUNT:
        return [
            _error(field, "amount_too_large", _("At most %(limit)s.") % {"limit": money.MAX_AMOUNT})
        ]
    if not money.has_valid_precision(amount, currency):
        decimals = money.CURRENCY_EXPONENTS[currency]
        message = _("%(currency)s has %(decimals)s decimals.")
        return [
            _error(
                field,
                "invalid_precision",
                message % {"currency": currency, "decimals": decimals},
            )
        ]
    return []


def _percentage_errors(percentage: Decimal) -> list[dict[str, str]]:
    if (
        not percentage.is_finite()
        or percentage <= 0
        or percentage > HUNDRED
        or not money.has_valid_precision(percentage, "USD")  # two decimals, like the column
    ):
        return [
            _error(
                "percentage", "invalid_percentage", _("Enter a percentage above 0, at most 100.")
            )
        ]
    return []


def _refuse_cancelled(order: Order) -> None:
    if order.status == Order.Status.CANCELLED:
        raise InvalidTransition(
            _("Order %(number)s is cancelled; its prices cannot be adjusted.")
            % {"number": order.number},
            code="order_not_adjustable",
            extra={"current_status": order.status},
        )


def _paid(order: Order) -> Decimal:
    row = Payment.objects.filter(order=order).aggregate(
        captured=Sum("amount_captured"), refunded=Sum("amount_refunded")
    )
    return (row["captured"] or Decimal(0)) - (row["refunded"] or Decimal(0))


def _waived(order: Order) -> Decimal:
    return OrderAdjustment.objects.filter(order=order, kind=Kind.SHIPPING_REFUND).aggregate(
        s=Sum("amount")
    )["s"] or Decimal(0)


def _discount_increase(line: OrderLine, amount: Decimal, currency: str) -> Decimal:
    """What to add to the line's discount so its active units cost exactly `amount` less.

    The discount is for the line as ordered and cancelled units take their share with them, so
    with units cancelled the increase is scaled up; the nearest minor unit that lands exactly
    is chosen (one always does: each minor unit moves the active share by at most one)."""
    active = line.quantity_active
    if active == line.quantity:
        return amount
    target = pricing.line_discount(line, active, currency) + amount
    step = money.quantum(currency)
    guess = money.quantize(amount * line.quantity / active, currency)
    trial = copy.copy(line)
    for offset in sorted(range(-3, 4), key=abs):
        trial.discount = line.discount + guess + offset * step
        if pricing.line_discount(trial, active, currency) == target:
            return guess + offset * step
    return guess


def plan_price_adjustment(
    *,
    order: Order,
    line: OrderLine | int | None = None,
    amount=None,
    percentage=None,
    reason_code: str,
    note: str,
    kind: str = Kind.PRICE_ADJUSTMENT,
) -> AdjustmentPlan:
    """Validate an adjustment and compute what it comes to, without changing anything.

    `line` (an OrderLine of the order, or its id) targets one line, else the whole order. A
    percentage is of the line's active units' worth, or of the order's goods after discounts
    (shipping excluded); with both an amount and a percentage, the amount is what applies and
    the percentage is recorded as where it came from (an approved request applies exactly the
    approved amount). A line can lose at most what its active units are worth, a shipping
    waiver (kind shipping_refund, no line) at most the shipping not waived yet, and any of them
    at most what the order still owes: its total less what refunds for returned units already
    gave back (`refunded_for_returns`), so an adjustment never records more than can be
    refunded. Raises ValidationFailed (field errors) or InvalidTransition (cancelled)."""
    _refuse_cancelled(order)
    lines = list(OrderLine.objects.filter(order=order).order_by("line_number"))
    line_id = line.pk if isinstance(line, OrderLine) else line
    target = None
    errors = text_errors(reason_code, note)
    amount, percentage = _as_decimal(amount), _as_decimal(percentage)
    if kind not in (Kind.PRICE_ADJUSTMENT, Kind.SHIPPING_REFUND):
        errors.append(_error("kind", "invalid_kind", _("Not a price adjustment.")))
    if line_id is not None:
        target = next((candidate for candidate in lines if candidate.pk == line_id), None)
        if target is None or kind == Kind.SHIPPING_REFUND:
            errors.append(_error("line", "unknown_line", _("Choose a line of this order.")))
    if amount is None and percentage is None and kind != Kind.SHIPPING_REFUND:
        errors.append(_error("amount", "required", _("Enter an amount or a percentage.")))
    if amount is not None:
        errors += amount_errors("amount", amount, order.currency)
    if percentage is not None:
        errors += _percentage_errors(percentage)
    if errors:
        raise ValidationFailed(
            "The adjustment is not valid.", code="invalid_adjustment", errors=errors
        )

    before = pricing.order_totals(order, lines)
    owed = max(Decimal(0), before.total - order.refunded_for_returns)
    if target is not None:
        worth = pricing.line_amount(target, target.quantity_active, order.currency)
        base, cap = worth, min(worth, owed)
    elif kind == Kind.SHIPPING_REFUND:
        base = max(Decimal(0), before.shipping_total - _waived(order))
        cap = min(base, owed)
    else:
        base, cap = max(Decimal(0), before.total - before.shipping_total), owed
    cap = money.quantize(cap, order.currency)
    field = "amount" if amount is not None or percentage is None else "percentage"
    if amount is None:
        amount = (
            base
            if percentage is None
            else money.quantize(base * percentage / HUNDRED, order.currency)
        )
    amount = money.quantize(amount, order.currency)
    if amount <= 0 or amount > cap:
        if target is not None:
            what = _("line %(number)s") % {"number": target.line_number}
        elif kind == Kind.SHIPPING_REFUND:
            what = _("the shipping")
        else:
            what = _("the order")
        message = (
            _("At most %(cap)s %(currency)s can be taken off %(what)s.")
            % {"cap": cap, "currency": order.currency, "what": what}
            if amount > 0
            else _("This comes to nothing: nothing is left to take off.")
        )
        raise ValidationFailed(
            message,
            code="adjustment_too_large" if amount > 0 else "adjustment_is_zero",
            errors=[_error(field, "amount_too_large" if amount > 0 else "amount_is_zero", message)],
            extra={"limit": str(cap)},
        )

    priced_order, priced_lines = copy.copy(order), [copy.copy(item) for item in lines]
    increase = amount
    if target is not None:
        increase = _discount_increase(target, amount, order.currency)
        for item in priced_lines:
            if item.pk == target.pk:
                item.discount = item.discount + increase
    else:
        priced_order.order_discount = order.order_discount + amount
    after = pricing.order_totals(priced_order, priced_lines)
    if before.total - after.total != amount:  # pricing and this plan disagree: never guess
        raise ValidationFailed(
            "This adjustment cannot be applied exactly; try a slightly different amount.",
            code="adjustment_not_exact",
            errors=[_error("amount", "not_exact", _("Try a slightly different amount."))],
        )
    return AdjustmentPlan(
        kind=kind,
        line=target,
        amount=amount,
        percentage=percentage,
        discount_increase=increase,
        before=before,
        after=after,
        paid=_paid(order),
        refunded_for_returns=order.refunded_for_returns,
    )


def _apply(
    *,
    kind: str,
    order: Order,
    line,
    amount,
    percentage,
    reason_code: str,
    note: str,
    actor: Actor,
    approved_by: str,
) -> OrderAdjustment:
    order = selectors.lock_order(order.pk)
    plan = plan_price_adjustment(
        order=order,
        line=line,
        amount=amount,
        percentage=percentage,
        reason_code=reason_code,
        note=note,
        kind=kind,
    )
    if plan.line is not None:
        OrderLine.objects.filter(pk=plan.line.pk).update(
            discount=plan.line.discount + plan.discount_increase
        )
    else:
        order.order_discount += plan.amount
    totals = plan.after
    order.subtotal, order.discount_total = totals.subtotal, totals.discount_total
    order.shipping_total, order.total = totals.shipping_total, totals.total
    order.save(
        update_fields=[
            "order_discount",
            "subtotal",
            "discount_total",
            "shipping_total",
            "total",
            "updated_at",
        ]
    )
    adjustment = OrderAdjustment.objects.create(
        order=order,
        line=plan.line,
        kind=kind,
        amount=plan.amount,
        percentage=plan.percentage,
        reason_code=reason_code,
        note=note.strip(),
        approved_by_label=approved_by[:150],
        **actor.as_fields(),
    )
    events.record(
        order,
        OrderEvent.Type.ADJUSTED,
        actor=actor,
        reason=reason_code,
        data={
            "adjustment_id": adjustment.pk,
            "kind": kind,
            "amount": plan.amount,
            "percentage": plan.percentage,
            "line": plan.line.line_number if plan.line else None,
            "sku": plan.line.sku if plan.line else "",
            "note": adjustment.note,
            "approved_by": adjustment.approved_by_label,
            "refund_now": money.quantize(plan.refund_now, order.currency),
        },
        notify="order.adjusted",
    )
    payments.settle_payments_on_commit(
        order_id=order.pk, actor=actor, reason=f"{Kind(kind).label}: {reason_code}"
    )
    return adjustment


@transaction.atomic
def apply_price_adjustment(
    *,
    order: Order,
    line: OrderLine | int | None = None,
    amount=None,
    percentage=None,
    reason_code: str,
    note: str,
    actor: Actor,
    approved_by: str = "",
) -> OrderAdjustment:
    """Lower the price of one line (its discount grows) or of the whole order (its
    `order_discount` grows), under the order lock, with a reason code and a note. The rules are
    `plan_price_adjustment`'s; a cancelled order is refused. After commit the payment follows:
    a refund of what was captured above the new total, or less to capture at shipment."""
    return _apply(
        kind=Kind.PRICE_ADJUSTMENT,
        order=order,
        line=line,
        amount=amount,
        percentage=percentage,
        reason_code=reason_code,
        note=note,
        actor=actor,
        approved_by=approved_by,
    )


@transaction.atomic
def waive_shipping(
    *,
    order: Order,
    amount=None,
    reason_code: str,
    note: str,
    actor: Actor,
    approved_by: str = "",
) -> OrderAdjustment:
    """Waive the shipping fee, in full (no amount) or in part: an order-level adjustment of
    kind shipping_refund, limited to the shipping not waived yet."""
    return _apply(
        kind=Kind.SHIPPING_REFUND,
        order=order,
        line=None,
        amount=amount,
        percentage=None,
        reason_code=reason_code,
        note=note,
        actor=actor,
        approved_by=approved_by,
    )


def goodwill_limit(order: Order) -> Decimal:
    """The most goodwill one order can justify: what it was worth as ordered, shipping
    included (cancellations do not lower it: a cancelled order may well deserve goodwill)."""
    lines = OrderLine.objects.filter(order=order).only("unit_price", "quantity")
    return money.quantize(
        sum((line.unit_price * line.quantity for line in lines), Decimal(0)) + order.shipping_price,
        order.currency,
    )


def validate_goodwill(*, order: Order, amount, reason_code: str, note: str) -> Decimal:
    """The goodwill amount, quantized, or ValidationFailed with field errors."""
    value = _as_decimal(amount)
    errors = text_errors(reason_code, note)
    if value is None:
        errors.append(_error("amount", "required", _("Enter an amount.")))
    else:
        errors += amount_errors("amount", value, order.currency)
        if not errors and value > goodwill_limit(order):
            errors.append(
                _error(
                    "amount",
                    "amount_too_large",
                    _("At most %(limit)s %(currency)s: what the order was worth.")
                    % {"limit": goodwill_limit(order), "currency": order.currency},
                )
            )
    if errors:
        raise ValidationFailed(
            "The goodwill credit is not valid.", code="invalid_goodwill", errors=errors
        )
    return money.quantize(value, order.currency)


@transaction.atomic
def record_goodwill(
    *,
    order: Order,
    amount,
    reason_code: str,
    note: str,
    actor: Actor,
    approved_by: str = "",
) -> OrderAdjustment:
    """Record goodwill given for this order: an OrderAdjustment of kind goodwill_credit and the
    timeline entry. The order's totals and payments do not change; the credit itself is store
    credit, issued by the caller (returns.services.store_credit) in the same transaction."""
    order = selectors.lock_order(order.pk)
    value = validate_goodwill(order=order, amount=amount, reason_code=reason_code, note=note)
    adjustment = OrderAdjustment.objects.create(
        order=order,
        kind=Kind.GOODWILL_CREDIT,
        amount=value,
        reason_code=reason_code,
        note=note.strip(),
        approved_by_label=approved_by[:150],
        **actor.as_fields(),
    )
    events.record(
        order,
        OrderEvent.Type.GOODWILL,
        actor=actor,
        reason=reason_code,
        data={
            "adjustment_id": adjustment.pk,
            "amount": value,
            "note": adjustment.note,
            "approved_by": adjustment.approved_by_label,
        },
    )
    return adjustment
