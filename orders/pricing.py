"""Order totals, derived in one place from lines and shipping. Pure functions: no database.

Rules: a line's discount is for the whole line as ordered; cancelling units cancels their share.
Shipping is charged while anything of the order is still owed or sent. A discount on the whole
order (CSR price adjustments) comes off after line discounts and never takes the total below
zero; it counts in `discount_total`. Every amount is quantized
to the currency's minor unit, and total = subtotal - discounts + shipping exactly. An order larger
than a money column holds (money.MAX_AMOUNT) is refused with ValidationFailed, never stored.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

from oms.exceptions import ValidationFailed
from orders.money import MAX_AMOUNT, quantize, zero


class PricedLine(Protocol):
    quantity: int
    unit_price: Decimal
    discount: Decimal


@dataclass(frozen=True)
class Totals:
    subtotal: Decimal
    discount_total: Decimal
    shipping_total: Decimal
    total: Decimal


def line_discount(line: PricedLine, units: int, currency: str) -> Decimal:
    """The share of the line's discount that belongs to `units` of it."""
    if units == line.quantity:
        return quantize(line.discount, currency)
    return quantize(line.discount * units / line.quantity, currency)


def line_amount(line: PricedLine, units: int, currency: str) -> Decimal:
    return quantize(line.unit_price * units, currency) - line_discount(line, units, currency)


def _refuse_beyond_max(amount: Decimal, currency: str) -> None:
    """Money columns hold at most MAX_AMOUNT: a larger order is bad input, not a crash."""
    if amount > MAX_AMOUNT:
        raise ValidationFailed(
            f"The order comes to more than {MAX_AMOUNT} {currency}, the most it can record.",
            code="amount_too_large",
            errors=[
                {
                    "field": "lines",
                    "code": "amount_too_large",
                    "message": f"Lines and shipping may add up to at most {MAX_AMOUNT}.",
                }
            ],
        )


def compute_totals(
    lines: Iterable[tuple[PricedLine, int]],
    *,
    shipping_price: Decimal,
    currency: str,
    order_discount: Decimal = Decimal(0),
) -> Totals:
    """Totals for the given (line, units) pairs; shipping applies when any unit counts."""
    subtotal = zero(currency)
    discounts = zero(currency)
    any_units = False
    for line, units in lines:
        if units <= 0:
            continue
        any_units = True
        _refuse_beyond_max(line.unit_price * units, currency)  # before quantize can overflow
        subtotal += quantize(line.unit_price * units, currency)
        discounts += line_discount(line, units, currency)
    shipping = zero(currency)
    if any_units:
        _refuse_beyond_max(shipping_price, currency)
        shipping = quantize(shipping_price, currency)
    _refuse_beyond_max(subtotal + shipping, currency)
    before_order_discount = subtotal - discounts + shipping
    discounts += min(quantize(order_discount, currency), before_order_discount)
    return Totals(
        subtotal=subtotal,
        discount_total=discounts,
        shipping_total=shipping,
        total=subtotal - discounts + shipping,
    )


def order_totals(order, lines: Iterable) -> Totals:
    """What the customer owes for the order now: every unit not cancelled."""
    return compute_totals(
        ((line, line.quantity - line.quantity_cancelled) for line in lines),
        shipping_price=order.shipping_price,
        currency=order.currency,
        order_discount=order.order_discount,
    )


def shipped_value(order, lines: Iterable) -> Decimal:
    """What the customer owes for what has left the warehouses (shipping included). A discount
    on the whole order comes off the first shipments, so this never exceeds what is owed."""
    return compute_totals(
        ((line, line.quantity_shipped) for line in lines),
        shipping_price=order.shipping_price,
        currency=order.currency,
        order_discount=order.order_discount,
    ).total
