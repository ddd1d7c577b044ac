"""Payment links: an order a rep placed for a customer waits in pending payment until the
customer pays it on the public payment page, reached by a signed link that expires
(OMS_PAYMENT_LINK_VALID_FOR). The link names the order and nothing else; the card is sent to
the gateway and never stored (the sandbox keeps the last four digits only)."""

import logging
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from oms.actors import Actor
from oms.exceptions import GatewayUnavailable, InvalidTransition, NotFound, PaymentFailed
from orders import money, pricing, selectors
from orders.models import Order, OrderEvent, OrderLine, PaymentTransaction
from orders.services import events, payments, placement

logger = logging.getLogger(__name__)

PAYMENT_SALT = "oms.order-payment"


def link_valid_for() -> timedelta:
    return settings.OMS_PAYMENT_LINK_VALID_FOR


def payment_token(order_number: str) -> str:
    return signing.TimestampSigner(salt=PAYMENT_SALT).sign(order_number)


def order_number_from_payment_token(token: str) -> str | None:
    """The order number a payment token was made for, or None if forged or expired."""
    try:
        return signing.TimestampSigner(salt=PAYMENT_SALT).unsign(
            token, max_age=link_valid_for().total_seconds()
        )
    except signing.BadSignature:  # SignatureExpired is one too
        return None


def payment_url(order_number: str, token: str | None = None) -> str:
    path = reverse("pay-order", kwargs={"token": token or payment_token(order_number)})
    return settings.OMS_PUBLIC_URL.rstrip("/") + path


def _invalid_link() -> NotFound:
    return NotFound("This payment link is not valid or has expired.", code="payment_link_invalid")


def get_order_for_payment(token: str) -> Order:
    """The order a payment link is for, with its lines. Forged, expired and unknown are one
    answer, so a link says nothing about orders it was not made for."""
    number = order_number_from_payment_token(token)
    if number is None:
        raise _invalid_link()
    order = Order.objects.prefetch_related("lines").filter(number=number).first()
    if order is None:
        raise _invalid_link()
    return order


def lines_summary(order: Order, lines: list[OrderLine]) -> list[dict]:
    return [
        {
            "sku": line.sku,
            "name": line.name,
            "quantity": line.quantity_active,
            "amount": pricing.line_amount(line, line.quantity_active, order.currency),
        }
        for line in lines
        if line.quantity_active
    ]


@transaction.atomic
def send_payment_link(*, order: Order, actor: Actor) -> OrderEvent:
    """Email the customer a link to pay an order that waits for its payment (order.payment_
    requested carries the link, the lines, the total and when the link expires). Sending again
    sends a fresh link; the order waits until the newest one expires."""
    order = selectors.lock_order(order.pk)
    if order.status != Order.Status.PENDING_PAYMENT:
        raise InvalidTransition(
            f"Order {order.number} is {order.get_status_display().lower()}; it is not waiting "
            "for a payment.",
            code="order_not_awaiting_payment",
            extra={"current_status": order.status},
        )
    valid_for = link_valid_for()
    lines = list(OrderLine.objects.filter(order=order).order_by("line_number"))
    return events.record(
        order,
        OrderEvent.Type.PAYMENT_LINK_SENT,
        actor=actor,
        data={
            "payment_url": payment_url(order.number),
            "expires_at": timezone.now() + valid_for,
            "valid_for_hours": int(valid_for.total_seconds() // 3600),
            "lines": lines_summary(order, lines),
            "subtotal": money.quantize(order.subtotal, order.currency),
            "discount_total": money.quantize(order.discount_total, order.currency),
            "shipping_total": money.quantize(order.shipping_total, order.currency),
        },
        notify="order.payment_requested",
    )


@dataclass(frozen=True)
class LinkPayment:
    order: Order
    # False when the order was paid before this request (a second submit, a reload).
    is_new: bool


def _authorize_attempts(order: Order) -> int:
    """How many link payments of this order the gateway has refused: the next attempt's number.
    Only a refusal moves it on, so every submit made while an attempt is undecided or has
    succeeded shares that attempt's idempotency key, and the gateway answers them all with
    its one authorization."""
    return PaymentTransaction.objects.filter(
        payment__order=order,
        kind=PaymentTransaction.Kind.AUTHORIZE,
        status=PaymentTransaction.Status.FAILED,
        idempotency_key__startswith=f"order:{order.pk}:authorize",
    ).count()


def _recorded_outcome(order: Order, attempt: int) -> payments.Outcome:
    key = f"order:{order.pk}:authorize" + (f":{attempt}" if attempt else "")
    txn = PaymentTransaction.objects.get(idempotency_key=key)
    return payments.Outcome(
        txn.status == PaymentTransaction.Status.SUCCEEDED, txn.error_code, txn.error_message
    )


def pay_order_with_link(*, token: str, card_token: str) -> LinkPayment:
    """The customer pays an order through its payment link: authorize the total, confirm.

    A paid order answers as paid again (a reload or a second submit never charges twice: they
    share the attempt's idempotency key). A cancelled order, or a link that is forged or
    expired, is refused. Unlike checkout, a declined card leaves the order waiting with its
    stock reserved: the customer is on the payment page and may try another card, and the
    order is cancelled only when the link expires (lifecycle.cancel_abandoned_orders).
    Must be called with no transaction open (it calls the gateway)."""
    order = get_order_for_payment(token)
    if order.status == Order.Status.CANCELLED:
        raise InvalidTransition(
            f"Order {order.number} was cancelled; it can no longer be paid.",
            code="order_not_payable",
            extra={"current_status": order.status},
        )
    if order.status != Order.Status.PENDING_PAYMENT:
        return LinkPayment(order, is_new=False)
    customer = Actor.for_customer(order.customer)
    attempt = _authorize_attempts(order)
    try:
        outcome = payments.authorize_order_payment(
            order=order,
            gateway=settings.OMS_PAYMENT_GATEWAY,
            token=card_token,
            actor=customer,
            attempt=attempt,
        )
    except IntegrityError:
        # A concurrent submit of the same attempt recorded the gateway's answer first (the
        # ledger's key is unique); the gateway answered both with that one result.
        outcome = _recorded_outcome(order, attempt)
    if not outcome.is_success:
        extra = {"order_number": order.number, "decline_code": outcome.error_code}
        if outcome.error_code == payments.GATEWAY_ERROR:
            raise GatewayUnavailable(
                "The payment could not be processed just now. Please try again.", extra=extra
            )
        raise PaymentFailed(
            outcome.error_message or "The payment was declined.",
            code="payment_declined",
            extra=extra,
        )
    confirmed = placement.confirm_order(order=order, actor=customer)
    if confirmed.status == Order.Status.CANCELLED:
        # The link expired and the sweep cancelled the order while the card was being
        # authorized: release what was just authorized.
        payments.settle_payments(order_id=order.pk, actor=customer, reason="order cancelled")
        raise InvalidTransition(
            f"Order {order.number} was cancelled; it can no longer be paid.",
            code="order_not_payable",
            extra={"current_status": confirmed.status},
        )
    logger.info("orders.paid_by_link", extra={"order_id": order.pk, "attempt": attempt})
    return LinkPayment(confirmed, is_new=True)
