"""Payments: authorize at placement, capture what has shipped, refund or void what is no longer
owed. Gateway calls happen outside any transaction; each amount is first reserved as a pending
ledger row under the payment's lock, so concurrent callers can never capture or refund twice."""

import logging
import uuid
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from oms.actors import Actor
from orders import money, pricing
from orders.gateways import (
    GatewayError,
    GatewayResult,
    PaymentGateway,
    gateway_names,
    get_gateway,
    register_gateway,
)
from orders.models import Order, OrderEvent, OrderLine, Payment, PaymentTransaction
from orders.services import events

logger = logging.getLogger(__name__)
GATEWAY_ERROR = "gateway_error"
Kind = PaymentTransaction.Kind
TxStatus = PaymentTransaction.Status
# Re-exported for apps that may not import orders.gateways (import-linter): returns registers
# its store-credit gateway and builds GatewayResults through here.
__all__ = [
    "GatewayError",
    "GatewayResult",
    "PaymentGateway",
    "gateway_names",
    "register_gateway",
]
# A hold (an instant exchange's security) is a payment of its own that settle_payments never
# touches: its ledger keys start with this, and only capture_hold / void_hold move it.
HOLD_KEY_PREFIX = "hold:"


@dataclass(frozen=True)
class Outcome:
    is_success: bool
    error_code: str = ""
    error_message: str = ""


def _call(gateway, operation: str, **kwargs) -> GatewayResult:
    try:
        return getattr(gateway, operation)(**kwargs)
    except GatewayError as exc:
        logger.warning("payments.gateway_error", extra={"operation": operation, "error": str(exc)})
        return GatewayResult(False, error_code=GATEWAY_ERROR, error_message=str(exc))


def authorize_order_payment(
    *, order: Order, gateway: str, token: str, actor: Actor, attempt: int = 0
) -> Outcome:
    """Authorize the order total. Called with no transaction open; keyed by the order and the
    attempt (a customer paying through a payment link may try another card after a decline),
    so a retry of the same attempt never authorizes twice."""
    key = f"order:{order.pk}:authorize" + (f":{attempt}" if attempt else "")
    return _authorize(
        order=order, gateway=gateway, token=token, amount=order.total, key=key, actor=actor
    )


def _authorize(
    *,
    order: Order,
    gateway: str,
    token: str,
    amount: Decimal,
    key: str,
    actor: Actor,
    reason: str = "",
    is_hold: bool = False,
) -> Outcome:
    backend = get_gateway(gateway)
    verify = getattr(backend, "verify_token", None)
    if verify is not None and not verify(token=token, customer_id=order.customer_id):
        # A gateway whose tokens name a customer (store credit): never another's money.
        result = GatewayResult(
            False,
            method_label=backend.name,
            error_code="token_not_for_customer",
            error_message="This payment method belongs to another customer.",
        )
    else:
        result = _call(
            backend,
            "authorize",
            amount=amount,
            currency=order.currency,
            token=token,
            idempotency_key=key,
        )
    # Money taken at authorization (store credit is debited): captured at once, so whatever
    # the order stops owing later is refunded rather than left held.
    captured = amount if result.is_success and _captures_at_authorization(backend) else 0
    with transaction.atomic():
        existing = PaymentTransaction.objects.filter(idempotency_key=key).first()
        if existing is None:
            payment = Payment.objects.create(
                order=order,
                gateway=backend.name,
                method_label=result.method_label or backend.name,
                reference=result.reference,
                currency=order.currency,
                status=(
                    (Payment.Status.CAPTURED if captured else Payment.Status.AUTHORIZED)
                    if result.is_success
                    else Payment.Status.FAILED
                ),
                amount_authorized=amount if result.is_success else 0,
                amount_captured=captured,
            )
            PaymentTransaction.objects.create(
                payment=payment,
                kind=Kind.AUTHORIZE,
                amount=amount,
                status=TxStatus.SUCCEEDED if result.is_success else TxStatus.FAILED,
                gateway_reference=result.reference,
                error_code=result.error_code,
                error_message=result.error_message[:255],
                idempotency_key=key,
                reason=reason[:255],
                **actor.as_fields(),
            )
            if captured:
                PaymentTransaction.objects.create(
                    payment=payment,
                    kind=Kind.CAPTURE,
                    amount=captured,
                    status=TxStatus.SUCCEEDED,
                    gateway_reference=result.reference,
                    idempotency_key=f"{key}:capture",
                    reason="taken at authorization",
                    **actor.as_fields(),
                )
            data = {
                "amount": money.quantize(amount, order.currency),
                "method": payment.method_label,
            }
            events.record(
                order,
                OrderEvent.Type.PAYMENT_AUTHORIZED
                if result.is_success
                else OrderEvent.Type.PAYMENT_FAILED,
                actor=actor,
                reason=result.error_code or reason,
                data={**data, "hold": True} if is_hold else data,
                notify=None if result.is_success or is_hold else "payment.failed",
            )
    return Outcome(result.is_success, result.error_code, result.error_message)


def _captures_at_authorization(backend: PaymentGateway) -> bool:
    return bool(getattr(backend, "captures_at_authorization", False))


def _pending(payment: Payment, kind: str) -> Decimal:
    return payment.transactions.filter(kind=kind, status=TxStatus.PENDING).aggregate(
        s=Sum("amount")
    )["s"] or Decimal(0)


@dataclass(frozen=True)
class Plan:
    order_id: int
    payment_id: int
    kind: str
    amount: Decimal
    transaction_id: int


def _plan(order_id: int, actor: Actor, reason: str) -> list[Plan]:
    """Under the order and payment locks, decide the captures/refunds/voids that bring the money
    in line with the order, and reserve them as pending ledger rows."""
    plans = []
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order_id)
        lines = list(OrderLine.objects.filter(order=order))
        # Refunds for returned units are money the customer no longer owes, shipped or not.
        owed = max(order.total - order.refunded_for_returns, 0)
        due_now = (
            owed
            if all(line.quantity_unshipped == 0 for line in lines)
            else max(min(owed, pricing.shipped_value(order, lines) - order.refunded_for_returns), 0)
        )
        for payment in (
            Payment.objects.select_for_update()
            .filter(
                order=order,
                status__in=[
                    Payment.Status.AUTHORIZED,
                    Payment.Status.PARTIALLY_CAPTURED,
                    Payment.Status.CAPTURED,
                    Payment.Status.PARTIALLY_REFUNDED,
                ],
            )
            .exclude(transactions__idempotency_key__startswith=HOLD_KEY_PREFIX)
            .order_by("pk")
        ):
            pending_capture = _pending(payment, Kind.CAPTURE)
            pending_refund = _pending(payment, Kind.REFUND)
            net = (
                payment.amount_captured + pending_capture - payment.amount_refunded - pending_refund
            )
            capturable = payment.amount_authorized - payment.amount_captured - pending_capture
            if net > owed:
                amount, kind = (
                    min(
                        net - owed,
                        payment.amount_captured - payment.amount_refunded - pending_refund,
                    ),
                    Kind.REFUND,
                )
            elif net < due_now and capturable > 0:
                amount, kind = min(due_now - net, capturable), Kind.CAPTURE
            elif (
                owed == 0
                and payment.amount_captured == 0
                and pending_capture == 0
                and not payment.is_voided
                and not _pending(payment, Kind.VOID)
            ):
                amount, kind = payment.amount_authorized, Kind.VOID
            else:
                continue
            if amount <= 0:
                continue
            txn = PaymentTransaction.objects.create(
                payment=payment,
                kind=kind,
                amount=amount,
                status=TxStatus.PENDING,
                idempotency_key=f"payment:{payment.pk}:{kind}:{uuid.uuid4().hex}",
                reason=reason[:255],
                **actor.as_fields(),
            )
            plans.append(Plan(order.pk, payment.pk, kind, amount, txn.pk))
    return plans


def _apply(plan: Plan, result: GatewayResult, actor: Actor) -> None:
    with transaction.atomic():
        # The order row first, as _plan does: the OrderEvent written below takes a key-share
        # lock on it, and taking it after the payment lock deadlocks against a concurrent _plan.
        order = Order.objects.select_for_update().get(pk=plan.order_id)
        payment = Payment.objects.select_for_update().get(pk=plan.payment_id)
        txn = PaymentTransaction.objects.select_for_update().get(pk=plan.transaction_id)
        if txn.status != TxStatus.PENDING:
            return  # settled by a concurrent retry
        txn.status = TxStatus.SUCCEEDED if result.is_success else TxStatus.FAILED
        txn.gateway_reference = result.reference
        txn.error_code, txn.error_message = result.error_code, result.error_message[:255]
        txn.save(update_fields=["status", "gateway_reference", "error_code", "error_message"])
        if not result.is_success:
            logger.warning("payments.%s_failed", plan.kind, extra={"payment_id": payment.pk})
            return
        if plan.kind == Kind.CAPTURE:
            payment.amount_captured += plan.amount
            event_type, notify = OrderEvent.Type.PAYMENT_CAPTURED, "payment.captured"
        elif plan.kind == Kind.REFUND:
            payment.amount_refunded += plan.amount
            event_type, notify = OrderEvent.Type.PAYMENT_REFUNDED, "payment.refunded"
        else:
            payment.is_voided = True
            event_type, notify = OrderEvent.Type.PAYMENT_VOIDED, "payment.voided"
        payment.status = payment_status(payment)
        payment.save(update_fields=["amount_captured", "amount_refunded", "is_voided", "status"])
        events.record(
            order,
            event_type,
            actor=actor,
            reason=txn.reason,
            data={
                "amount": money.quantize(plan.amount, payment.currency),
                "method": payment.method_label,
            },
            notify=notify,
        )


def payment_status(payment: Payment) -> str:
    if payment.is_voided:
        return Payment.Status.VOIDED
    if payment.amount_refunded and payment.amount_refunded == payment.amount_captured:
        return Payment.Status.REFUNDED
    if payment.amount_refunded:
        return Payment.Status.PARTIALLY_REFUNDED
    if payment.amount_captured and payment.amount_captured == payment.amount_authorized:
        return Payment.Status.CAPTURED
    if payment.amount_captured:
        return Payment.Status.PARTIALLY_CAPTURED
    return Payment.Status.AUTHORIZED


def _execute(plan: Plan, actor: Actor) -> None:
    """Send one reserved call to the gateway (with its stored key) and record the outcome."""
    payment = Payment.objects.get(pk=plan.payment_id)
    txn = PaymentTransaction.objects.get(pk=plan.transaction_id)
    backend = get_gateway(payment.gateway)
    if plan.kind == Kind.VOID:
        result = _call(
            backend, "void", reference=payment.reference, idempotency_key=txn.idempotency_key
        )
    else:
        result = _call(
            backend,
            plan.kind,
            reference=payment.reference,
            amount=plan.amount,
            idempotency_key=txn.idempotency_key,
        )
    if result.error_code == GATEWAY_ERROR:
        return  # outcome unknown: stays pending; resume_pending_transactions retries the key
    _apply(plan, result, actor)


def settle_payments(*, order_id: int, actor: Actor, reason: str = "") -> None:
    """Bring captured money in line with the order: capture what has shipped, refund what is
    no longer owed, void an authorization nothing will be taken from. Safe to call repeatedly
    and concurrently; must be called with no transaction open (it calls the gateway)."""
    for plan in _plan(order_id, actor, reason):
        _execute(plan, actor)


def resume_pending_transactions(*, older_than: timedelta) -> int:
    """Retry gateway calls left pending (gateway down, or the process died mid-call) with
    their original idempotency keys, so each happens exactly once. Returns how many."""
    cutoff = timezone.now() - older_than
    pending = PaymentTransaction.objects.filter(
        status=TxStatus.PENDING, created_at__lt=cutoff
    ).select_related("payment")
    count = 0
    for txn in pending:
        plan = Plan(txn.payment.order_id, txn.payment_id, txn.kind, txn.amount, txn.pk)
        _execute(plan, Actor.system("payment-retry"))
        count += 1
    return count


def settle_payments_on_commit(*, order_id: int, actor: Actor, reason: str = "") -> None:
    """Settle after the current transaction commits (the gateway is never called inside it)."""
    transaction.on_commit(lambda: settle_payments(order_id=order_id, actor=actor, reason=reason))


# Payments that can still bring money in: authorized and not voided, refunded or failed.
LIVE_PAYMENT_STATUSES = (
    Payment.Status.AUTHORIZED,
    Payment.Status.PARTIALLY_CAPTURED,
    Payment.Status.CAPTURED,
    Payment.Status.PARTIALLY_REFUNDED,
)


def authorization_cover(payments_: list[Payment]) -> Decimal:
    """The most the order can end up paying with these payments: what is authorized minus
    what was refunded (a refund never comes back)."""
    return sum(
        (p.amount_authorized - p.amount_refunded for p in payments_ if not p.is_voided),
        Decimal(0),
    )


def live_payments(order: Order) -> list[Payment]:
    """The order's payments that can still be captured or refunded, oldest first."""
    return list(
        Payment.objects.filter(order=order, status__in=LIVE_PAYMENT_STATUSES, is_voided=False)
        .exclude(transactions__idempotency_key__startswith=HOLD_KEY_PREFIX)
        .order_by("pk")
    )


def increase_authorization(*, order: Order, total: Decimal, actor: Actor, reason: str) -> Outcome:
    """Make the order's live authorization cover `total` by raising it at the gateway
    (incremental authorization) when it does not. Called with no transaction open.

    The idempotency key names the payment and the amounts before and after, so a repeated call
    for the same increase is made once at the gateway and recorded once in the ledger. A
    gateway error records nothing (its outcome is unknown) and may simply be retried: an
    increase that did happen only holds more on the card, capture still follows the order."""
    payment_list = live_payments(order)
    cover = authorization_cover(payment_list)
    if total <= cover:
        return Outcome(True)
    if not payment_list:
        return Outcome(
            False, "no_authorization", "The order has no card authorization to increase."
        )
    payment = payment_list[-1]
    amount = money.quantize(total - cover, payment.currency)
    key = f"payment:{payment.pk}:increase:{payment.amount_authorized}:{amount}"
    result = _call(
        get_gateway(payment.gateway),
        "increase_authorization",
        reference=payment.reference,
        amount=amount,
        idempotency_key=key,
    )
    if result.error_code == GATEWAY_ERROR:
        return Outcome(False, result.error_code, result.error_message)
    with transaction.atomic():
        # The order row first, then the payment: the lock order every payment write keeps.
        Order.objects.select_for_update().filter(pk=order.pk).first()
        payment = Payment.objects.select_for_update().get(pk=payment.pk)
        if not PaymentTransaction.objects.filter(idempotency_key=key).exists():
            PaymentTransaction.objects.create(
                payment=payment,
                kind=Kind.AUTHORIZE,
                amount=amount,
                status=TxStatus.SUCCEEDED if result.is_success else TxStatus.FAILED,
                gateway_reference=result.reference,
                error_code=result.error_code,
                error_message=result.error_message[:255],
                idempotency_key=key,
                reason=reason[:255],
                **actor.as_fields(),
            )
            if result.is_success:
                payment.amount_authorized += amount
                payment.status = payment_status(payment)
                payment.save(update_fields=["amount_authorized", "status"])
                events.record(
                    order,
                    OrderEvent.Type.PAYMENT_AUTHORIZED,
                    actor=actor,
                    reason=reason,
                    data={
                        "amount": amount,
                        "authorized": money.quantize(payment.amount_authorized, payment.currency),
                        "method": payment.method_label,
                        "incremental": True,
                    },
                )
    return Outcome(result.is_success, result.error_code, result.error_message)


def is_hold(payment: Payment) -> bool:
    """Whether the payment is a hold (authorized by authorize_hold), not the order's payment."""
    return payment.transactions.filter(idempotency_key__startswith=HOLD_KEY_PREFIX).exists()


def authorize_hold(
    *,
    order: Order,
    gateway: str,
    token: str,
    amount: Decimal,
    reference: str,
    actor: Actor,
    reason: str = "",
) -> Outcome:
    """Authorize `amount` on the order as a hold: money kept on the customer's card that the
    order's own settlement never captures or voids (an instant exchange secures the units the
    customer has not sent back yet with it). Only capture_hold or void_hold end it. Called with
    no transaction open; keyed by `reference`, so a retry never authorizes twice."""
    return _authorize(
        order=order,
        gateway=gateway,
        token=token,
        amount=money.quantize(amount, order.currency),
        key=f"{HOLD_KEY_PREFIX}{reference}:authorize",
        actor=actor,
        reason=reason,
        is_hold=True,
    )


def find_hold(order: Order, reference: str) -> Payment | None:
    """The hold authorize_hold made on the order for `reference`, if it succeeded."""
    return (
        Payment.objects.filter(
            order=order,
            transactions__kind=Kind.AUTHORIZE,
            transactions__status=TxStatus.SUCCEEDED,
            transactions__idempotency_key=f"{HOLD_KEY_PREFIX}{reference}:authorize",
        )
        .order_by("pk")
        .first()
    )


def _plan_hold(payment_id: int, kind: str, actor: Actor, reason: str) -> Plan | None:
    with transaction.atomic():
        # The order row first, then the payment: the lock order every payment write keeps.
        order_id = Payment.objects.values_list("order_id", flat=True).get(pk=payment_id)
        Order.objects.select_for_update().filter(pk=order_id).first()
        payment = Payment.objects.select_for_update().get(pk=payment_id)
        if payment.is_voided or payment.amount_captured > 0:
            return None  # already ended one way or the other
        done = payment.transactions.filter(
            kind__in=[Kind.CAPTURE, Kind.VOID],
            status__in=[TxStatus.PENDING, TxStatus.SUCCEEDED],
        ).first()
        if done is not None:
            if done.status == TxStatus.PENDING and done.kind == kind:
                return Plan(payment.order_id, payment.pk, kind, done.amount, done.pk)
            return None
        attempt = payment.transactions.filter(kind=kind, status=TxStatus.FAILED).count()
        txn = PaymentTransaction.objects.create(
            payment=payment,
            kind=kind,
            amount=payment.amount_authorized,
            status=TxStatus.PENDING,
            idempotency_key=f"{HOLD_KEY_PREFIX}payment:{payment.pk}:{kind}:{attempt}",
            reason=reason[:255],
            **actor.as_fields(),
        )
        return Plan(payment.order_id, payment.pk, kind, txn.amount, txn.pk)


def capture_hold(*, payment: Payment, actor: Actor, reason: str = "") -> None:
    """Take the held money (the customer kept what the hold secured). Once per hold; a hold
    already voided or captured is left alone. Called with no transaction open."""
    plan = _plan_hold(payment.pk, Kind.CAPTURE, actor, reason)
    if plan is not None:
        _execute(plan, actor)


def void_hold(*, payment: Payment, actor: Actor, reason: str = "") -> None:
    """Release the held money (what it secured came back). Once per hold; a hold already
    voided or captured is left alone. Called with no transaction open."""
    plan = _plan_hold(payment.pk, Kind.VOID, actor, reason)
    if plan is not None:
        _execute(plan, actor)
