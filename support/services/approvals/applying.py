"""Applying a money action's exact payload, at once or once approved: the adjustment, store
credit or replacement it makes, and how it is summed up on the case."""

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _

from oms.actors import Actor
from oms.exceptions import ValidationFailed
from orders import money
from orders.models import Order, OrderAdjustment
from orders.services import adjustments, replacement
from returns.models import StoreCreditEntry
from returns.services import store_credit
from support.models import ActionKind


@dataclass(frozen=True)
class Applied:
    """What applying an action made."""

    adjustment: OrderAdjustment | None = None
    credit: StoreCreditEntry | None = None
    replacement: Order | None = None


def _money(amount: Decimal, currency: str) -> str:
    return f"{money.quantize(amount, currency)} {currency}"


def apply_action(
    *,
    action: str,
    order: Order,
    payload: dict[str, Any],
    reason_code: str,
    note: str,
    actor: Actor,
    approved_by: str = "",
) -> Applied:
    """Apply one action with exactly these parameters (a request's payload)."""
    if action == ActionKind.PRICE_ADJUSTMENT:
        return Applied(
            adjustment=adjustments.apply_price_adjustment(
                order=order,
                line=payload.get("line_id"),
                amount=payload["amount"],
                percentage=payload.get("percentage"),
                reason_code=reason_code,
                note=note,
                actor=actor,
                approved_by=approved_by,
            )
        )
    if action == ActionKind.FEE_WAIVER:
        return Applied(
            adjustment=adjustments.waive_shipping(
                order=order,
                amount=payload["amount"],
                reason_code=reason_code,
                note=note,
                actor=actor,
                approved_by=approved_by,
            )
        )
    if action == ActionKind.GOODWILL_CREDIT:
        adjustment = adjustments.record_goodwill(
            order=order,
            amount=payload["amount"],
            reason_code=reason_code,
            note=note,
            actor=actor,
            approved_by=approved_by,
        )
        credit = store_credit.issue_credit(
            customer=order.customer,
            amount=adjustment.amount,
            currency=order.currency,
            kind=StoreCreditEntry.Kind.GOODWILL,
            reference=f"adjustment:{adjustment.pk}",
            reason=reason_code,
            actor=actor,
            order=order,
            note=adjustment.note,
        )
        return Applied(adjustment=adjustment, credit=credit)
    if action == ActionKind.RESHIP:
        return Applied(
            replacement=replacement.place_replacement_order(
                order=order,
                lines=[(int(line_id), int(units)) for line_id, units in payload["lines"]],
                reason=reason_code,
                note=note,
                actor=actor,
            )
        )
    raise ValidationFailed(
        _("%(action)s cannot be requested here.") % {"action": action}, code="unknown_action"
    )


def action_summary(action: str, amount: Decimal, order: Order) -> str:
    """How the action reads on the support case it was taken from."""
    return _("%(action)s of %(amount)s on order %(number)s") % {
        "action": ActionKind(action).label,
        "amount": _money(amount, order.currency),
        "number": order.number,
    }
