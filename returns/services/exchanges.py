"""Exchanges: the replacement order a return buys with its own value, and its price difference.

The exchange order is a normal order in channel `exchange`, linked to the returned order
(`original_order`), placed through `orders.services.place_order` so its stock is allocated from
live stock the usual way (InsufficientStock: nothing is written). Its lines are the return
lines' exchange variants at the returned quantities, at their catalogue prices; the value of
the returned units (`refunds.return_value` for every requested unit: unit refunds less fees) is
applied to it as line discounts, up to its price. So:

- replacement dearer than the return: the exchange order's total is the difference, and it
  waits in pending payment for the customer to pay it through a payment link
  (orders.services.payment_links);
- replacement cheaper: the exchange order costs nothing and ships at once; the difference is
  refunded on the original order (a ReturnRefund of kind exchange_difference) when the
  returned units count (refunds.release_refund), never more than was captured.

One exchange order per return: `ReturnRequest.exchange_order` is set under the order and
return locks and read again under them, so a retry or a racing call returns the same order.

A normal exchange is placed when the return is received (release_refund calls
`settle_exchange`). An INSTANT exchange is placed when the return is approved (call
`place_exchange_order`), before anything comes back, and is secured by a hold for the value
applied to it:

- the customer has a saved payment method (SavedPaymentMethod, the default one first): the
  replacement is placed with the value applied, and right after commit the hold is authorized
  on that method as a payment of its own on the exchange order
  (`payments.authorize_hold`, keyed by the RMA; settle_payments never touches it), and a
  positive difference is authorized on it too. The hold is VOIDED when the return is received
  and CAPTURED when the return expires or is cancelled (`settle_exchange_hold`). A declined
  hold cancels the replacement (it cannot have shipped: a warehouse has not touched it yet)
  and the return goes on as a normal exchange, placed when the parcel arrives;
- no saved method: an authorization cannot be made without the customer, so the
  replacement is placed at its full price and waits for the customer to pay it through a
  payment link (what is secured is then a payment, not a hold); the returned units' value is
  refunded on the original order when they arrive. A link never paid lets the replacement be
  cancelled as abandoned; the return then refunds in full like a refund return.
"""

import logging
from collections import OrderedDict
from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _

from oms.actors import Actor
from oms.exceptions import DomainError, InsufficientStock, InvalidTransition, ValidationFailed
from orders import links, money
from orders.models import Order, SavedPaymentMethod, Variant
from orders.services import lifecycle, payment_links, payments
from orders.services.placement import (
    CustomerInput,
    LineInput,
    OrderInput,
    confirm_order,
    place_order,
)
from returns import selectors as return_selectors
from returns.models import ReturnEvent, ReturnLine, ReturnRefund, ReturnRequest, ReturnStatus
from returns.services import events

logger = logging.getLogger(__name__)
R = ReturnStatus
# A return in these statuses gets no exchange order.
NOT_EXCHANGEABLE = frozenset({R.REQUESTED, R.REJECTED, R.CANCELLED, R.EXPIRED})
HOLD_ENDS_CAPTURED = frozenset({R.EXPIRED, R.CANCELLED})


def hold_reference(return_request: ReturnRequest) -> str:
    return f"return:{return_request.rma}"


def _error(field: str, code: str, message: str) -> dict[str, str]:
    return {"field": field, "code": code, "message": message}


def exchange_lines(lines: list[ReturnLine]) -> "OrderedDict[str, tuple[Variant, int]]":
    """The replacement's SKUs and quantities (two return lines for one variant: one line)."""
    wanted: OrderedDict[str, tuple[Variant, int]] = OrderedDict()
    for line in lines:
        variant = line.exchange_variant
        if variant is None:
            continue
        _, units = wanted.get(variant.sku, (variant, 0))
        wanted[variant.sku] = (variant, units + line.quantity)
    return wanted


def returned_value(return_request: ReturnRequest, lines: list[ReturnLine]) -> Decimal:
    """What every requested unit of the return is worth (the credit an exchange can use)."""
    from returns.services.refunds import return_value

    value, _bonus, _units = return_value(return_request, lines, lambda line: line.quantity)
    return value


def _discounts(prices: list[Decimal], credit: Decimal, currency: str) -> list[Decimal]:
    """`credit` spread over lines worth `prices`, pro rata, each at most its line's worth,
    adding up exactly (the last line takes the rounding)."""
    total = sum(prices, Decimal(0))
    if total <= 0 or credit <= 0:
        return [Decimal(0)] * len(prices)
    credit = min(credit, total)
    shares, given = [], Decimal(0)
    for index, price in enumerate(prices):
        if index == len(prices) - 1:
            share = credit - given
        else:
            share = min(money.quantize(credit * price / total, currency), price)
        shares.append(share)
        given += share
    return shares


def saved_method(return_request: ReturnRequest) -> SavedPaymentMethod | None:
    """The customer's payment method an instant exchange's hold is authorized on."""
    return (
        SavedPaymentMethod.objects.filter(customer_id=return_request.customer_id)
        .order_by("-is_default", "-created_at", "-pk")
        .first()
    )


def exchange_link(exchange: Order) -> dict[str, str]:
    """The replacement order an exchanged event names, and the customer's signed page to
    follow it (the return_exchanged email's button)."""
    return {
        "exchange_order": exchange.number,
        "exchange_tracking_url": links.tracking_url(exchange.number),
    }


def _place(
    *, order: Order, return_request: ReturnRequest, lines: list[ReturnLine], apply_credit: bool,
    actor: Actor,
) -> tuple[Order, dict]:  # fmt: skip
    """Place the exchange order (under the caller's order and return locks) and link it.
    Returns it with the data of its exchanged event, which the caller records once (alone,
    or with the money released by the same receipt)."""
    wanted = exchange_lines(lines)
    if not wanted:
        message = _("Return %(rma)s has no variant to exchange for.") % {"rma": return_request.rma}
        raise ValidationFailed(
            message,
            code="no_exchange_variant",
            errors=[_error("lines", "no_exchange_variant", message)],
        )
    prices = [
        money.quantize(variant.price * units, order.currency) for variant, units in wanted.values()
    ]
    credit = returned_value(return_request, lines) if apply_credit else Decimal(0)
    discounts = _discounts(prices, credit, order.currency)
    exchange = place_order(
        data=OrderInput(
            channel=Order.Channel.EXCHANGE,
            customer=CustomerInput.of_order(order),
            shipping_address=order.shipping_address,
            billing_address=order.billing_address,
            shipping_method=order.shipping_method,
            shipping_price=Decimal(0),
            currency=order.currency,
            lines=[
                LineInput(sku=sku, quantity=units, unit_price=variant.price, discount=discount)
                for (sku, (variant, units)), discount in zip(wanted.items(), discounts, strict=True)
            ],
            note=f"Exchange for return {return_request.rma} of order {order.number}",
            original_order_id=order.pk,
        ),
        actor=actor,
        await_payment=True,
    )
    return_request.exchange_order = exchange
    return_request.save(update_fields=["exchange_order", "updated_at"])
    if exchange.status == Order.Status.PENDING_PAYMENT and not (
        return_request.is_instant_exchange and apply_credit
    ):
        payment_links.send_payment_link(order=exchange, actor=actor)
    logger.info(
        "returns.exchange_placed",
        extra={"rma": return_request.rma, "order_number": exchange.number},
    )
    return exchange, {
        **exchange_link(exchange),
        "lines": [{"sku": sku, "quantity": units} for sku, (_v, units) in wanted.items()],
        "value": money.quantize(sum(prices, Decimal(0)), order.currency),
        "credit_applied": money.quantize(sum(discounts, Decimal(0)), order.currency),
        "to_pay": money.quantize(exchange.total, order.currency),
        "is_instant": return_request.is_instant_exchange,
    }


@transaction.atomic
def place_exchange_order(*, return_request: ReturnRequest, actor: Actor) -> Order:
    """Place the return's exchange order, once (a second call returns the first order).

    For a normal exchange the returned units' value is applied to it; a positive difference
    waits for the customer's payment link. For an instant exchange see the module docstring:
    with a saved payment method the hold is authorized right after commit (this may be called
    inside the caller's transaction: the gateway is called only after it commits).
    Raises InvalidTransition (not approved, or closed), ValidationFailed (nothing to exchange
    for, a variant not for sale) or InsufficientStock: then nothing is written."""
    return_request = return_selectors.lock_return(return_request.pk)
    order = return_request.order
    if return_request.exchange_order_id:
        return Order.objects.get(pk=return_request.exchange_order_id)
    if return_request.resolution != "exchange" or return_request.status in NOT_EXCHANGEABLE:
        raise InvalidTransition(
            _("Return %(rma)s cannot be exchanged now (%(status)s).")
            % {"rma": return_request.rma, "status": return_request.get_status_display().lower()},
            code="return_not_exchangeable",
            extra={"current_status": return_request.status},
        )
    lines = list(
        ReturnLine.objects.filter(return_request=return_request)
        .select_related("exchange_variant")
        .order_by("pk")
    )
    method = saved_method(return_request) if return_request.is_instant_exchange else None
    apply_credit = not return_request.is_instant_exchange or method is not None
    exchange, data = _place(
        order=order,
        return_request=return_request,
        lines=lines,
        apply_credit=apply_credit,
        actor=actor,
    )
    events.record(
        return_request,
        ReturnEvent.Type.EXCHANGED,
        actor=actor,
        data=data,
        notify="return.exchanged",
    )
    if return_request.is_instant_exchange and method is not None:
        return_id = return_request.pk
        transaction.on_commit(lambda: secure_instant_exchange(return_id=return_id, actor=actor))
    return exchange


def applied_credit(return_request: ReturnRequest) -> Decimal:
    """The part of the return's value spent on its exchange order (its line discounts);
    nothing once that order is cancelled."""
    if not return_request.exchange_order_id:
        return Decimal(0)
    exchange = Order.objects.get(pk=return_request.exchange_order_id)
    if exchange.status == Order.Status.CANCELLED:
        return Decimal(0)
    return exchange.discount_total


def settle_exchange(
    *, order: Order, return_request: ReturnRequest, lines: list[ReturnLine], state, actor: Actor,
    reason: str,
) -> tuple[list[ReturnRefund], dict, bool] | None:  # fmt: skip
    """The exchange side of refunds.release_refund, under its locks: place the exchange order
    once units count (a normal exchange), refund the value counted beyond what the exchange
    order used, and end an instant exchange's hold once the parcel arrived. Returns the
    refunds made, the data for release_refund's one exchanged event (the placement's when it
    placed the order now, else the order's number and link) and whether it placed the order
    now. None when the replacement cannot be placed (out of stock, not for sale): recorded on
    the return's timeline for a rep, nothing else changes, the receipt itself stands."""
    from returns.services import refunds

    data: dict = {}
    placed = False
    if return_request.exchange_order_id:
        data = exchange_link(return_request.exchange_order)
    elif state.units > 0:
        lines = list(
            ReturnLine.objects.filter(return_request=return_request)
            .select_related("exchange_variant")
            .order_by("pk")
        )
        try:
            _exchange, data = _place(
                order=order,
                return_request=return_request,
                lines=lines,
                apply_credit=True,
                actor=actor,
            )
        except (InsufficientStock, ValidationFailed) as exc:
            events.record(
                return_request,
                ReturnEvent.Type.NOTE,
                actor=actor,
                reason="exchange_not_placed",
                data={"code": exc.code, "message": exc.message, **exc.extra},
            )
            logger.warning("returns.exchange_not_placed", extra={"rma": return_request.rma})
            return None
        placed = True
    moved = []
    due = min(
        max(state.value - applied_credit(return_request), Decimal(0)) - state.released,
        state.room,
    )
    if due > 0:
        amount = money.quantize(min(due, refunds.refundable_amount(order)), order.currency)
        if amount > 0:
            moved.append(
                refunds._refund_to_payment(
                    order=order,
                    return_request=return_request,
                    amount=amount,
                    kind=ReturnRefund.Kind.EXCHANGE_DIFFERENCE,
                    reference=refunds._next_reference(return_request, "difference"),
                    actor=actor,
                    reason=reason,
                )
            )
        if amount < due:
            data["not_refundable"] = money.quantize(due - amount, order.currency)
    if return_request.is_instant_exchange and return_request.received_at is not None:
        settle_exchange_hold_on_commit(return_request=return_request, actor=actor)
    return moved, data, placed


def _give_up_instant(return_id: int, actor: Actor, code: str, message: str) -> None:
    """The hold (or the difference) was declined: cancel the replacement, release what was
    held, and let the return go on as a normal exchange placed when the parcel arrives."""
    with transaction.atomic():
        return_request = return_selectors.lock_return(return_id)
        exchange = return_request.exchange_order
        if exchange is None:
            return
        try:
            lifecycle.cancel_order(
                order=exchange, actor=actor, reason=f"instant exchange declined: {code}"[:255]
            )
        except DomainError:
            # Shipped meanwhile: the replacement stands, and so does anything held for it.
            logger.warning("returns.instant_exchange_not_cancelled", extra={"rma": return_id})
            return
        return_request.exchange_order = None
        return_request.is_instant_exchange = False
        return_request.save(update_fields=["exchange_order", "is_instant_exchange", "updated_at"])
        events.record(
            return_request,
            ReturnEvent.Type.NOTE,
            actor=actor,
            reason="instant_exchange_declined",
            data={"code": code, "message": message, "cancelled_order": exchange.number},
        )
    hold = payments.find_hold(exchange, hold_reference(return_request))
    if hold is not None:
        payments.void_hold(payment=hold, actor=actor, reason="instant exchange declined")


def secure_instant_exchange(*, return_id: int, actor: Actor) -> bool:
    """Authorize an instant exchange's hold (and a positive difference) on the customer's
    saved payment method, then confirm the replacement. Called with no transaction open
    (after the placing transaction commits); keyed by the RMA, so a retry authorizes once.
    False when declined (the replacement is cancelled, see `_give_up_instant`)."""
    return_request = ReturnRequest.objects.select_related("exchange_order").get(pk=return_id)
    exchange = return_request.exchange_order
    method = saved_method(return_request)
    if exchange is None or method is None or exchange.status == Order.Status.CANCELLED:
        return False
    held = exchange.discount_total
    if held > 0:
        outcome = payments.authorize_hold(
            order=exchange,
            gateway=method.gateway,
            token=method.token,
            amount=held,
            reference=hold_reference(return_request),
            actor=actor,
            reason=f"instant exchange for return {return_request.rma}",
        )
        if not outcome.is_success:
            _give_up_instant(return_id, actor, outcome.error_code, outcome.error_message)
            return False
    if exchange.status == Order.Status.PENDING_PAYMENT and exchange.total > 0:
        outcome = payments.authorize_order_payment(
            order=exchange, gateway=method.gateway, token=method.token, actor=actor
        )
        if not outcome.is_success:
            _give_up_instant(return_id, actor, outcome.error_code, outcome.error_message)
            return False
        confirm_order(order=exchange, actor=actor)
    return True


def settle_exchange_hold(*, return_request: ReturnRequest, actor: Actor) -> str:
    """End an instant exchange's hold as the return's fate says: voided once the parcel has
    arrived (or when the replacement itself was cancelled), captured when the return expired
    or was cancelled (the customer kept both).
    Once only, whatever the number of calls; called with no transaction open. Returns
    "voided", "captured" or "" (nothing to do yet)."""
    return_request = ReturnRequest.objects.select_related("exchange_order").get(
        pk=return_request.pk
    )
    if not return_request.exchange_order_id:
        return ""
    hold = payments.find_hold(return_request.exchange_order, hold_reference(return_request))
    if hold is None:
        return ""
    if return_request.exchange_order.status == Order.Status.CANCELLED:
        # The replacement never went out: nothing was kept, nothing may be taken.
        payments.void_hold(
            payment=hold, actor=actor, reason=f"exchange for {return_request.rma} cancelled"
        )
        return "voided"
    if return_request.received_at is not None:
        payments.void_hold(
            payment=hold, actor=actor, reason=f"return {return_request.rma} received"
        )
        return "voided"
    if return_request.status in HOLD_ENDS_CAPTURED:
        payments.capture_hold(
            payment=hold,
            actor=actor,
            reason=f"return {return_request.rma} {return_request.status}: the item was kept",
        )
        return "captured"
    return ""


def settle_exchange_hold_on_commit(*, return_request: ReturnRequest, actor: Actor) -> None:
    """settle_exchange_hold after the current transaction commits (call it from the services
    that receive, expire or cancel a return)."""
    return_id = return_request.pk
    transaction.on_commit(
        lambda: settle_exchange_hold(return_request=ReturnRequest(pk=return_id), actor=actor)
    )
