"""Asking for a money action: validate, weigh it against the rep's authority under the order's
lock, then apply it at once or leave a request for a supervisor."""

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from oms.actors import Actor
from oms.exceptions import InvalidTransition
from orders import selectors
from orders.models import Order, OrderAdjustment, OrderEvent
from orders.services import adjustments, events, replacement
from returns.models import StoreCreditEntry
from support.models import ActionKind, ApprovalRequest, Case
from support.services import case_links
from support.services.approvals.applying import action_summary, apply_action
from support.services.authority import AuthorityDecision, decide_authority


@dataclass(frozen=True)
class Outcome:
    """What a request did: applied at once (adjustment / credit / replacement), or waiting
    (`request`)."""

    decision: AuthorityDecision
    request: ApprovalRequest | None = None
    adjustment: OrderAdjustment | None = None
    credit: StoreCreditEntry | None = None
    replacement: Order | None = None

    @property
    def is_applied(self) -> bool:
        return self.request is None


def _submit(
    *,
    user,
    order: Order,
    action: str,
    amount: Decimal,
    payload: dict[str, Any],
    reason_code: str,
    note: str,
    case: Case | None,
) -> Outcome:
    """Decide under the order's lock; apply at once or create the request. Caller validated."""
    actor = Actor.for_user(user)
    note = note.strip()
    decision = decide_authority(user=user, action=action, order=order, amount=amount)
    if decision.is_within:
        applied = apply_action(
            action=action,
            order=order,
            payload=payload,
            reason_code=reason_code,
            note=note,
            actor=actor,
        )
        case_links.record_action(
            case=case,
            actor=actor,
            action=action,
            summary=action_summary(action, amount, order),
            order=order,
            data={"amount": amount, "reason_code": reason_code},
        )
        return Outcome(
            decision=decision,
            adjustment=applied.adjustment,
            credit=applied.credit,
            replacement=applied.replacement,
        )
    request = ApprovalRequest.objects.create(
        action=action,
        order=order,
        case=case,
        amount=amount,
        currency=order.currency,
        payload=payload,
        reason_code=reason_code,
        note=note,
        requested_by=user,
    )
    events.record(
        order,
        OrderEvent.Type.APPROVAL_REQUESTED,
        actor=actor,
        reason=reason_code,
        data={
            "request_id": request.pk,
            "action": action,
            "amount": amount,
            "note": note,
            "why": decision.verdict,
        },
        notify="approval.requested",
    )
    case_links.record_action(
        case=case,
        actor=actor,
        action="approval_requested",
        summary=_("Asked for approval: %(what)s") % {"what": action_summary(action, amount, order)},
        order=order,
        data={"request_id": request.pk, "amount": amount, "reason_code": reason_code},
    )
    return Outcome(decision=decision, request=request)


@transaction.atomic
def request_price_adjustment(
    *,
    user,
    order: Order,
    line: int | None = None,
    amount=None,
    percentage=None,
    reason_code: str,
    note: str,
    case: Case | None = None,
) -> Outcome:
    """A price adjustment on a line (its id) or the whole order, by amount or percentage."""
    order = selectors.lock_order(order.pk)
    plan = adjustments.plan_price_adjustment(
        order=order,
        line=line,
        amount=amount,
        percentage=percentage,
        reason_code=reason_code,
        note=note,
    )
    payload = {
        "line_id": plan.line.pk if plan.line else None,
        "line_number": plan.line.line_number if plan.line else None,
        "amount": str(plan.amount),
        "percentage": str(plan.percentage) if plan.percentage is not None else None,
    }
    return _submit(
        user=user,
        order=order,
        action=ActionKind.PRICE_ADJUSTMENT,
        amount=plan.amount,
        payload=payload,
        reason_code=reason_code,
        note=note,
        case=case,
    )


@transaction.atomic
def request_fee_waiver(
    *, user, order: Order, amount=None, reason_code: str, note: str, case: Case | None = None
) -> Outcome:
    """Waive the shipping fee (all of what is left of it when no amount is given)."""
    order = selectors.lock_order(order.pk)
    plan = adjustments.plan_price_adjustment(
        order=order,
        amount=amount,
        reason_code=reason_code,
        note=note,
        kind=OrderAdjustment.Kind.SHIPPING_REFUND,
    )
    return _submit(
        user=user,
        order=order,
        action=ActionKind.FEE_WAIVER,
        amount=plan.amount,
        payload={"amount": str(plan.amount)},
        reason_code=reason_code,
        note=note,
        case=case,
    )


@transaction.atomic
def request_goodwill(
    *, user, order: Order, amount, reason_code: str, note: str, case: Case | None = None
) -> Outcome:
    """Goodwill credit for the order's customer, as store credit in the order's currency."""
    order = selectors.lock_order(order.pk)
    value = adjustments.validate_goodwill(
        order=order, amount=amount, reason_code=reason_code, note=note
    )
    return _submit(
        user=user,
        order=order,
        action=ActionKind.GOODWILL_CREDIT,
        amount=value,
        payload={"amount": str(value)},
        reason_code=reason_code,
        note=note,
        case=case,
    )


@transaction.atomic
def request_reship(
    *,
    user,
    order: Order,
    lines: list[tuple[int, int]],
    reason: str,
    note: str,
    case: Case | None = None,
) -> Outcome:
    """Send shipped units again at no charge; weighed by what the units are worth."""
    order = selectors.lock_order(order.pk)
    if order.status == Order.Status.CANCELLED:
        raise InvalidTransition(
            _("Order %(number)s is cancelled; nothing of it can be replaced.")
            % {"number": order.number},
            code="order_not_replaceable",
        )
    plan = replacement.plan_replacement(order=order, lines=lines, reason=reason, note=note)
    return _submit(
        user=user,
        order=order,
        action=ActionKind.RESHIP,
        amount=plan.value,
        payload={
            "lines": [[line.pk, units] for line, units in plan.lines],
            "skus": [[line.sku, units] for line, units in plan.lines],
        },
        reason_code=reason,
        note=note,
        case=case,
    )
