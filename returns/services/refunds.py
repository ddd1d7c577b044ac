"""The money of a return: what it may release now, and releasing it as a refund to the original
payment, as store credit (with its bonus), or as an exchange's price difference.

Everything happens under the order's lock, then the return's (always in that order), so two
releases of one return, or a release racing a staff refund of the same order, are serialized:
the second sees the first's ReturnRefund rows and releases only what is left. A refund raises
`Order.refunded_for_returns` and leaves the gateway call to `payments.settle_payments` after
commit (keyed, so it happens once); store credit is written in the same transaction with a
unique reference. So both services are safe to call twice and concurrently.

What may be released is computed from scratch each time (never as increments), so rounding of
pro-rata fees cannot drift: units received (or every requested unit when the policy releases on
the carrier's first scan and the parcel was scanned, or for a "keep it" return) at their unit
refund, less their share of the restocking fee, less the return shipping fee once, plus the
original shipping on a statutory withdrawal, plus the store-credit bonus pro rata; never more
than the estimate the customer was shown. Minus what the return already released.
"""

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from oms.actors import Actor
from oms.exceptions import Conflict, InvalidTransition, ValidationFailed
from orders import money
from orders.models import Order, Payment, PaymentTransaction
from orders.services import payments
from returns import selectors as return_selectors
from returns.models import (
    RefundRelease,
    Resolution,
    ReturnEvent,
    ReturnLine,
    ReturnRefund,
    ReturnRequest,
    ReturnStatus,
    StoreCreditEntry,
)
from returns.services import events, store_credit

RefundKind = ReturnRefund.Kind
R = ReturnStatus
# Where the physical flow leaves a return whose money is released, per resolution.
RESOLVED_STATUS = {
    Resolution.REFUND: R.REFUNDED,
    Resolution.STORE_CREDIT: R.CREDITED,
    Resolution.EXCHANGE: R.EXCHANGED,
}
EVENT = {
    Resolution.REFUND: (ReturnEvent.Type.REFUNDED, "return.refunded"),
    Resolution.STORE_CREDIT: (ReturnEvent.Type.CREDITED, "return.credited"),
    Resolution.EXCHANGE: (ReturnEvent.Type.EXCHANGED, "return.exchanged"),
}
# Money that left the store for this return (the bonus is counted apart: it is the store's).
MONEY_KINDS = (RefundKind.REFUND, RefundKind.STORE_CREDIT, RefundKind.EXCHANGE_DIFFERENCE)
# A return in these statuses no longer moves money.
CLOSED_FOR_MONEY = frozenset({R.REJECTED, R.CANCELLED, R.EXPIRED, R.REQUESTED})
SCANNED_STATUSES = frozenset({R.IN_TRANSIT, R.RECEIVED, R.INSPECTED, R.REFUNDED, R.CREDITED,
                              R.EXCHANGED, R.CLOSED})  # fmt: skip


@dataclass(frozen=True)
class Releasable:
    """What a return is worth now (cumulative, from scratch) and what of it is still owed."""

    value: Decimal  # items - fees + shipping refund, for the units that count now
    bonus: Decimal  # store-credit bonus for them (store credit returns only)
    released: Decimal  # money already released (refund, store credit, exchange difference)
    released_bonus: Decimal
    units: int  # units that count now

    estimate: Decimal  # the return's estimated total: everything it may ever move

    @property
    def room(self) -> Decimal:
        """What the return may still move at all (staff refunds count against it too)."""
        return max(self.estimate - self.released - self.released_bonus, Decimal(0))

    @property
    def due(self) -> Decimal:
        return min(max(self.value - self.released, Decimal(0)), self.room)

    @property
    def bonus_due(self) -> Decimal:
        return min(max(self.bonus - self.released_bonus, Decimal(0)), self.room - self.due)


def _lock(return_request: ReturnRequest) -> tuple[Order, ReturnRequest]:
    """The order row, then the return row, locked: the one lock order of every return write."""
    locked = return_selectors.lock_return(return_request.pk)
    return locked.order, locked


def is_scanned(return_request: ReturnRequest) -> bool:
    """The carrier has the parcel (or it has arrived)."""
    return return_request.shipped_at is not None or return_request.status in SCANNED_STATUSES


def counted_units(return_request: ReturnRequest, line: ReturnLine) -> int:
    """Units of a line whose money the policy releases now."""
    if return_request.is_keep_it:
        return line.quantity if return_request.status not in CLOSED_FOR_MONEY else 0
    if return_request.refund_release == RefundRelease.FIRST_SCAN and is_scanned(return_request):
        return line.quantity
    if return_request.refund_release == RefundRelease.INSPECTION and (
        return_request.inspected_at is None
    ):
        return 0
    return line.quantity_received


def return_value(
    return_request: ReturnRequest, lines: list[ReturnLine], units_of
) -> tuple[Decimal, Decimal, int]:
    """(value, bonus, units) of a return for `units_of(line)` units per line: the unit refunds,
    less the restocking fees pro rata, less the return shipping fee once, plus the original
    shipping refunded on a withdrawal once; the bonus pro rata to the items. Never more than
    the estimate (value + bonus <= estimated_total)."""
    currency = return_request.currency
    items, fees, units = Decimal(0), Decimal(0), 0
    for line in lines:
        count = units_of(line)
        if count <= 0:
            continue
        units += count
        items += line.unit_amount * count
        fees += money.quantize(line.restocking_fee * count / line.quantity, currency)
    if units == 0:
        return Decimal(0), Decimal(0), 0
    value = max(
        items - fees - return_request.return_shipping_fee + return_request.shipping_refund,
        Decimal(0),
    )
    bonus = Decimal(0)
    if return_request.resolution == Resolution.STORE_CREDIT and return_request.bonus_amount:
        full_items = return_request.items_amount or items
        bonus = money.quantize(
            return_request.bonus_amount * min(items / full_items, Decimal(1)), currency
        )
    total = min(value + bonus, max(return_request.estimated_total, Decimal(0)))
    bonus = min(bonus, total)
    return money.quantize(total - bonus, currency), bonus, units


def _released(return_request: ReturnRequest) -> tuple[Decimal, Decimal]:
    rows = ReturnRefund.objects.filter(return_request=return_request)
    released = rows.filter(kind__in=MONEY_KINDS).aggregate(s=Sum("amount"))["s"] or Decimal(0)
    bonus = rows.filter(kind=RefundKind.BONUS).aggregate(s=Sum("amount"))["s"] or Decimal(0)
    return released, bonus


def releasable(return_request: ReturnRequest, lines: list[ReturnLine] | None = None) -> Releasable:
    """What the return is worth now under its policy, and what it already released."""
    if lines is None:
        lines = list(return_request.lines.all())
    if return_request.status in CLOSED_FOR_MONEY:
        value, bonus, units = Decimal(0), Decimal(0), 0
    else:
        value, bonus, units = return_value(
            return_request, lines, lambda line: counted_units(return_request, line)
        )
    released, released_bonus = _released(return_request)
    return Releasable(
        value, bonus, released, released_bonus, units, max(return_request.estimated_total, 0)
    )


def refundable_amount(order: Order) -> Decimal:
    """Money of the order that can still go back to its payments: captured, less refunded,
    less refunds reserved but not yet answered, and less what `refunded_for_returns` already
    promised but settle_payments has not executed yet. Read it under the order's lock."""
    net = Decimal(0)
    for payment in Payment.objects.filter(order=order, status__in=payments.LIVE_PAYMENT_STATUSES):
        if payments.is_hold(payment):
            continue
        pending = payment.transactions.filter(
            kind=PaymentTransaction.Kind.REFUND, status=PaymentTransaction.Status.PENDING
        ).aggregate(s=Sum("amount"))["s"] or Decimal(0)
        net += payment.amount_captured - payment.amount_refunded - pending
    owed = max(order.total - order.refunded_for_returns, Decimal(0))
    return money.quantize(max(min(net, owed), Decimal(0)), order.currency)


def _next_reference(return_request: ReturnRequest, label: str) -> str:
    count = ReturnRefund.objects.filter(
        return_request=return_request, reference__startswith=f"return:{return_request.rma}:{label}:"
    ).count()
    return f"return:{return_request.rma}:{label}:{count + 1}"


def _refund_to_payment(
    *,
    order: Order,
    return_request: ReturnRequest,
    amount: Decimal,
    kind: str,
    reference: str,
    actor: Actor,
    reason: str,
) -> ReturnRefund:
    """Raise what the order no longer owes by `amount` and settle after commit (under locks)."""
    order.refunded_for_returns += amount
    order.save(update_fields=["refunded_for_returns", "updated_at"])
    row = ReturnRefund.objects.create(
        return_request=return_request,
        kind=kind,
        amount=amount,
        reference=reference,
        **actor.as_fields(),
    )
    return_request.refunded_amount += amount
    payments.settle_payments_on_commit(
        order_id=order.pk,
        actor=actor,
        reason=(reason or f"return {return_request.rma}")[:255],
    )
    return row


def _credit(
    *,
    return_request: ReturnRequest,
    amount: Decimal,
    kind: str,
    actor: Actor,
    reason: str,
) -> ReturnRefund:
    label = "bonus" if kind == RefundKind.BONUS else "credit"
    reference = _next_reference(return_request, label)
    store_credit.issue_credit(
        customer=return_request.customer,
        amount=amount,
        currency=return_request.currency,
        kind=StoreCreditEntry.Kind.BONUS
        if kind == RefundKind.BONUS
        else StoreCreditEntry.Kind.REFUND,
        reference=reference,
        reason=f"return {return_request.rma}" + (f": {reason}" if reason else ""),
        actor=actor,
        # No order: store_credit.issued would email the customer a second time about the
        # credit that return.credited (with the new balance) already tells them of.
    )
    row = ReturnRefund.objects.create(
        return_request=return_request,
        kind=kind,
        amount=amount,
        reference=reference,
        **actor.as_fields(),
    )
    return_request.credited_amount += amount
    return row


def may_resolve(return_request: ReturnRequest, lines: list[ReturnLine]) -> bool:
    """The physical flow is over: every unit received (or inspected), or a "keep it" return
    approved; with release after inspection, only once inspected."""
    status = return_request.status
    target = RESOLVED_STATUS[return_request.resolution]
    if not return_request.can_transition_to(target):
        return False
    if return_request.is_keep_it:
        return True
    if return_request.refund_release == RefundRelease.INSPECTION:
        return status == R.INSPECTED
    if status == R.INSPECTED:
        return True
    return status == R.RECEIVED and all(line.quantity_received == line.quantity for line in lines)


@transaction.atomic
def release_refund(
    *, return_request: ReturnRequest, actor: Actor, reason: str = ""
) -> ReturnRequest:
    """Release what the return's policy allows now and was not released yet: a refund to the
    original payment (never more than the order still has captured), store credit and its
    bonus, or for an exchange the replacement order and any negative price difference. Moves
    the return to refunded / credited / exchanged when its physical flow is over (see
    `may_resolve`); money released on the first scan leaves the status as it is. Nothing to
    release and no status to move: a no-op. Idempotent and safe under concurrency."""
    order, return_request = _lock(return_request)
    lines = list(ReturnLine.objects.filter(return_request=return_request).order_by("pk"))
    state = releasable(return_request, lines)
    moved: list[ReturnRefund] = []
    data: dict = {}
    placed = False  # an exchange order placed now: news even without money or a status
    resolution = return_request.resolution
    if resolution == Resolution.EXCHANGE:
        from returns.services import exchanges

        outcome = exchanges.settle_exchange(
            order=order, return_request=return_request, lines=lines, state=state, actor=actor,
            reason=reason,
        )  # fmt: skip
        if outcome is None:
            return return_request  # out of stock: recorded, nothing moved
        moved, data, placed = outcome
    elif state.due > 0 and resolution == Resolution.REFUND:
        available = refundable_amount(order)
        amount = min(state.due, available)
        if amount > 0:
            moved.append(
                _refund_to_payment(
                    order=order,
                    return_request=return_request,
                    amount=amount,
                    kind=RefundKind.REFUND,
                    reference=_next_reference(return_request, "refund"),
                    actor=actor,
                    reason=reason,
                )
            )
        if amount < state.due:
            data["not_refundable"] = money.quantize(state.due - amount, order.currency)
    elif resolution == Resolution.STORE_CREDIT:
        if state.due > 0:
            moved.append(
                _credit(
                    return_request=return_request,
                    amount=state.due,
                    kind=RefundKind.STORE_CREDIT,
                    actor=actor,
                    reason=reason,
                )
            )
        if state.bonus_due > 0:
            moved.append(
                _credit(
                    return_request=return_request,
                    amount=state.bonus_due,
                    kind=RefundKind.BONUS,
                    actor=actor,
                    reason=reason,
                )
            )
    resolve = may_resolve(return_request, lines) and (
        resolution != Resolution.EXCHANGE or bool(return_request.exchange_order_id)
    )
    if not moved and not resolve and not placed:
        return return_request
    fields = ["refunded_amount", "credited_amount", "updated_at"]
    if resolve:
        return_request.status = RESOLVED_STATUS[resolution]
        return_request.resolved_at = timezone.now()
        fields += ["status", "resolved_at"]
    return_request.save(update_fields=fields)
    event_type, notify = EVENT[resolution]
    events.record(
        return_request,
        event_type,
        actor=actor,
        reason=reason,
        data={
            **data,
            "amount": money.quantize(
                sum((row.amount for row in moved), Decimal(0)), return_request.currency
            ),
            "refunds": _rows(moved, return_request.currency),
            **_totals(return_request),
            "status": return_request.status,
            **(
                {"balance": return_selectors.balance(order.customer_id, return_request.currency)}
                if resolution == Resolution.STORE_CREDIT
                else {}
            ),
        },
        # A status that only catches up with money released earlier (on the first scan) is
        # not news to the customer: the email went when the money did.
        notify=notify if moved or placed else None,
    )
    return return_request


def _shown(amount: Decimal, currency: str) -> str:
    """An amount as a problem's message and extras show it: a string in the currency's minor
    unit ("40.00", never the column's "40.000" nor a float in JSON)."""
    return str(money.quantize(amount, currency))


def _rows(moved: list[ReturnRefund], currency: str) -> list[dict]:
    """What a release moved, row by row, for its event data."""
    return [
        {
            "kind": row.kind,
            "amount": money.quantize(row.amount, currency),
            "reference": row.reference,
        }
        for row in moved
    ]


def _totals(return_request: ReturnRequest) -> dict[str, Decimal]:
    """The return's running totals for its event data, in the currency's minor unit."""
    currency = return_request.currency
    return {
        "refunded_total": money.quantize(return_request.refunded_amount, currency),
        "credited_total": money.quantize(return_request.credited_amount, currency),
    }


def validate_refund_amount(value, currency: str) -> Decimal:
    """A refund amount as given (text or number): above zero, with the currency's decimals at
    most, quantized; else ValidationFailed on the field `amount`."""
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        amount = Decimal("NaN")
    if (
        not amount.is_finite()
        or amount <= 0
        or amount > money.MAX_AMOUNT
        or not money.has_valid_precision(amount, currency)
    ):
        message = _("Enter an amount above zero in %(currency)s.") % {"currency": currency}
        raise ValidationFailed(
            message,
            code="invalid_refund",
            errors=[{"field": "amount", "code": "invalid_amount", "message": message}],
        )
    return money.quantize(amount, currency)


@transaction.atomic
def refund_return_amount(
    *,
    return_request: ReturnRequest,
    amount,
    actor: Actor,
    reason: str,
    idempotency_reference: str,
) -> ReturnRefund:
    """A staff refund of `amount` to the original payment for a return ("refund 60 % of the
    order" from the console or the API), whatever the return's physical progress.

    Bounds, checked under the order and return locks: never more than the order still has
    captured and not refunded (`refundable_amount`), and never more than what the return has
    left of its estimate. Idempotent by `idempotency_reference`: the same reference with the
    same amount answers the refund it made; with another amount it is a Conflict. Raises
    ValidationFailed (bad amount or reference), InvalidTransition (the return is closed for
    money) or Conflict (over a bound: nothing is written)."""
    idempotency_reference = (idempotency_reference or "").strip()
    if not idempotency_reference or len(idempotency_reference) > 64:
        message = _("A refund needs a reference of 1 to 64 characters.")
        raise ValidationFailed(
            message,
            code="invalid_refund",
            errors=[{"field": "idempotency_reference", "code": "invalid", "message": message}],
        )
    value = validate_refund_amount(amount, return_request.currency)
    order, return_request = _lock(return_request)
    reference = f"return:{return_request.rma}:staff:{idempotency_reference}"
    existing = ReturnRefund.objects.filter(reference=reference).first()
    if existing is not None:
        if existing.amount != value or existing.return_request_id != return_request.pk:
            raise Conflict(
                _("This refund reference was already used for another amount."),
                code="refund_reference_reused",
                extra={"amount": _shown(existing.amount, return_request.currency)},
            )
        return existing
    if return_request.status in {R.REJECTED, R.CANCELLED, R.EXPIRED}:
        raise InvalidTransition(
            _("Return %(rma)s is %(status)s; nothing can be refunded for it.")
            % {"rma": return_request.rma, "status": return_request.get_status_display().lower()},
            code="return_not_refundable",
            extra={"current_status": return_request.status},
        )
    released, released_bonus = _released(return_request)
    left = max(return_request.estimated_total - released - released_bonus, Decimal(0))
    if value > left:
        limit = _shown(left, return_request.currency)
        raise Conflict(
            _("At most %(left)s %(currency)s can still be refunded for return %(rma)s.")
            % {"left": limit, "currency": return_request.currency, "rma": return_request.rma},
            code="refund_exceeds_return",
            extra={"limit": limit},
        )
    available = refundable_amount(order)
    if value > available:
        limit = _shown(available, order.currency)
        raise Conflict(
            _("At most %(available)s %(currency)s of order %(number)s can still be refunded.")
            % {"available": limit, "currency": order.currency, "number": order.number},
            code="refund_exceeds_captured",
            extra={"limit": limit},
        )
    row = _refund_to_payment(
        order=order,
        return_request=return_request,
        amount=value,
        kind=RefundKind.REFUND,
        reference=reference,
        actor=actor,
        reason=reason,
    )
    return_request.save(update_fields=["refunded_amount", "updated_at"])
    events.record(
        return_request,
        ReturnEvent.Type.REFUNDED,
        actor=actor,
        reason=reason,
        data={
            "amount": value,
            "refunds": _rows([row], return_request.currency),
            **_totals(return_request),
            "status": return_request.status,
            "staff": True,
        },
        notify="return.refunded",
    )
    return row
