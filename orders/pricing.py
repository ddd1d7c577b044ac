"""Order totals, derived in one place from lines and shipping. Pure functions: no database.

Rules: a line's discount is for the whole line as ordered; cancelling units cancels their share.
Shipping is charged while anything of the order is still owed or sent. Every amount is quantized
to the currency's minor unit, and total = subtotal - discounts + shipping exactly.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

from orders.money import quantize, zero


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


def compute_totals(
    lines: Iterable[tuple[PricedLine, int]], *, shipping_price: Decimal, currency: str
) -> Totals:
    """Totals for the given (line, units) pairs; shipping applies when any unit counts."""
    subtotal = zero(currency)
    discounts = zero(currency)
    any_units = False
    for line, units in lines:
        if units <= 0:
            continue
        any_units = True
        subtotal += quantize(line.unit_price * units, currency)
        discounts += line_discount(line, units, currency)
    shipping = quantize(shipping_price, currency) if any_units else zero(currency)
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
    )


def shipped_value(order, lines: Iterable) -> Decimal:
    """What the customer owes for what has left the warehouses (shipping included)."""
    return compute_totals(
        ((line, line.quantity_shipped) for line in lines),
        shipping_price=order.shipping_price,
        currency=order.currency,
    ).total
