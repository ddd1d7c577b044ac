"""Store credit: a signed ledger per customer and currency. Credits (goodwill, refunds taken as
credit) and debits (credit spent on an order) are idempotent by (kind, reference), and every
write takes the customer row's lock first, so concurrent debits can never overdraw."""

from decimal import Decimal, InvalidOperation

from django.db import IntegrityError, transaction

from notifications import services as outbox
from oms.actors import Actor
from oms.exceptions import Conflict, ValidationFailed
from orders import money
from orders.models import Customer, Order
from orders.services.events import order_payload
from returns import selectors
from returns.models import StoreCreditEntry

Kind = StoreCreditEntry.Kind
CREDIT_KINDS = frozenset(
    {Kind.GOODWILL, Kind.REFUND, Kind.BONUS, Kind.REVERSAL, Kind.REVIEW_REWARD, Kind.REFERRAL}
)
DEBIT_KINDS = frozenset({Kind.PAYMENT, Kind.EXPIRY, Kind.REVERSAL})


def _lock_customer(customer_id: int) -> Customer:
    """The customer row, locked: the one lock every store credit write takes (after the order
    row when there is one, as every order service does)."""
    return Customer.objects.select_for_update().get(pk=customer_id)


def _validate(*, amount, currency: str, kind: str, kinds, reference: str) -> Decimal:
    errors = []
    try:
        value = Decimal(str(amount))
    except (InvalidOperation, ValueError):
        value = Decimal("NaN")
    if not money.is_known_currency(currency):
        errors.append({"field": "currency", "code": "invalid_currency", "message": "Unknown."})
    elif (
        not value.is_finite()
        or value <= 0
        or value > money.MAX_AMOUNT
        or not money.has_valid_precision(value, currency)
    ):
        errors.append(
            {
                "field": "amount",
                "code": "invalid_amount",
                "message": f"Enter an amount above zero in {currency}'s minor unit.",
            }
        )
    if kind not in kinds:
        errors.append({"field": "kind", "code": "invalid_kind", "message": f"Not {kind}."})
    if not reference or len(reference) > 64:
        errors.append({"field": "reference", "code": "invalid_reference", "message": "1-64."})
    if errors:
        raise ValidationFailed(
            "The store credit entry is not valid.", code="invalid_store_credit", errors=errors
        )
    return money.quantize(value, currency)


def _existing(
    *, kind: str, reference: str, customer_id: int, amount: Decimal, currency: str
) -> StoreCreditEntry | None:
    """The entry a retry already wrote; the same reference for another movement is a bug in
    the caller, refused rather than silently answered with someone else's entry."""
    entry = StoreCreditEntry.objects.filter(kind=kind, reference=reference).first()
    if entry is None:
        return None
    if (entry.customer_id, entry.amount, entry.currency) != (customer_id, amount, currency):
        raise Conflict(
            f"Store credit reference {kind}:{reference} was used for another entry.",
            code="store_credit_reference_reused",
        )
    return entry


def _write(
    *,
    customer_id: int,
    amount: Decimal,
    currency: str,
    kind: str,
    reference: str,
    reason: str,
    actor: Actor,
    order: Order | None,
) -> StoreCreditEntry:
    try:
        with transaction.atomic():
            return StoreCreditEntry.objects.create(
                customer_id=customer_id,
                amount=amount,
                currency=currency,
                kind=kind,
                reference=reference,
                reason=(reason or "")[:255],
                order=order,
                **actor.as_fields(),
            )
    except IntegrityError:  # the same reference, committed a moment ago by a retry
        return StoreCreditEntry.objects.get(kind=kind, reference=reference)


@transaction.atomic
def issue_credit(
    *,
    customer: Customer,
    amount,
    currency: str,
    kind: str,
    reference: str,
    reason: str,
    actor: Actor,
    order: Order | None = None,
    note: str = "",
) -> StoreCreditEntry:
    """Credit the customer. Idempotent by (kind, reference): a retry returns the entry the first
    call wrote and changes nothing. With an order, `store_credit.issued` goes out on it (the
    customer's email in their language: the amount and the new balance)."""
    value = _validate(
        amount=amount, currency=currency, kind=kind, kinds=CREDIT_KINDS, reference=reference
    )
    _lock_customer(customer.pk)
    existing = _existing(
        kind=kind, reference=reference, customer_id=customer.pk, amount=value, currency=currency
    )
    if existing is not None:
        return existing
    entry = _write(
        customer_id=customer.pk,
        amount=value,
        currency=currency,
        kind=kind,
        reference=reference,
        reason=reason,
        actor=actor,
        order=order,
    )
    if order is not None:
        outbox.emit(
            "store_credit.issued",
            aggregate_type="order",
            aggregate_id=order.number,
            payload={
                "order": order_payload(order),
                "event": {
                    "type": kind,
                    "reason": reason,
                    "actor": actor.label,
                    "entry_id": entry.pk,
                    "amount": value,
                    "credit_currency": currency,
                    "balance": selectors.balance(customer.pk, currency),
                    "note": note,
                },
            },
        )
    return entry


@transaction.atomic
def debit_credit(
    *,
    customer: Customer,
    amount,
    currency: str,
    reference: str,
    reason: str,
    actor: Actor,
    kind: str = Kind.PAYMENT,
    order: Order | None = None,
) -> StoreCreditEntry:
    """Take `amount` from the customer's credit (stored as a negative entry). Under the
    customer's lock, so two debits racing for the same credit never overdraw it: the second
    sees the first's entry. Idempotent by (kind, reference). Raises Conflict
    (insufficient_store_credit) when the balance does not cover it."""
    value = _validate(
        amount=amount, currency=currency, kind=kind, kinds=DEBIT_KINDS, reference=reference
    )
    _lock_customer(customer.pk)
    existing = _existing(
        kind=kind, reference=reference, customer_id=customer.pk, amount=-value, currency=currency
    )
    if existing is not None:
        return existing
    available = selectors.balance(customer.pk, currency)
    if value > available:
        raise Conflict(
            f"The customer has {available} {currency} of store credit, less than {value}.",
            code="insufficient_store_credit",
            extra={"balance": str(available)},
        )
    return _write(
        customer_id=customer.pk,
        amount=-value,
        currency=currency,
        kind=kind,
        reference=reference,
        reason=reason,
        actor=actor,
        order=order,
    )
