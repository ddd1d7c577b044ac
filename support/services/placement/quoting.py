"""The live quote of an assisted order: lines checked, the discount within the rep's authority and
spread over the lines, totals priced the way the placed order will be."""

from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal

from django.utils.translation import gettext as _

from oms.exceptions import PermissionDenied, ValidationFailed
from orders import money, pricing, shipping
from orders.services.placement import LineInput
from support.access import can, role_of
from support.models import ActionKind, AuthorityRule
from support.selectors.placement import SkuRow, skus_with_stock
from support.services.placement.inputs import (
    DISCOUNT_AMOUNT,
    DISCOUNT_PERCENT,
    MAX_QUANTITY,
    Discount,
    field_error,
)


@dataclass(frozen=True)
class Quote:
    currency: str
    lines: list[LineInput]
    shipping_price: Decimal
    discount: Decimal
    percentage: Decimal | None
    totals: pricing.Totals


def discount_limit(*, user, currency: str) -> Decimal:
    """The largest discount `user` may give on a new order in `currency` on their own: the
    smaller of their role's limit per action and per order for price adjustments; zero with no
    rule (no console role, or a currency the matrix has no row for)."""
    role = role_of(user)
    rule = (
        AuthorityRule.objects.filter(
            role=role, action=ActionKind.PRICE_ADJUSTMENT, currency=currency
        ).first()
        if role
        else None
    )
    if rule is None:
        return money.zero(currency) if money.is_known_currency(currency) else Decimal(0)
    return min(rule.max_amount, rule.per_order_cap)


def check_discount_authority(*, user, amount: Decimal, currency: str) -> None:
    """A discount on a new order is a price adjustment: within the rep's authority it applies,
    above it the rep places the order without it and asks for an adjustment afterwards (the
    approval queue needs an order to adjust)."""
    if amount <= 0:
        return
    if not can(user, "adjust_prices"):
        raise PermissionDenied(
            "Not allowed to give discounts.",
            code="permission_denied",
            errors=[
                field_error(
                    "discount_value",
                    "permission_denied",
                    _("You are not allowed to give discounts."),
                )
            ],
        )
    limit = discount_limit(user=user, currency=currency)
    if amount > limit:
        shown = f"{money.quantize(limit, currency)} {currency}"
        raise PermissionDenied(
            f"A discount of {amount} {currency} is above the rep's authority ({shown}).",
            code="above_authority",
            errors=[
                field_error(
                    "discount_value",
                    "above_authority",
                    _(
                        "Above your authority (limit %(limit)s): place the order without the "
                        "discount and request an adjustment."
                    )
                    % {"limit": shown},
                )
            ],
            extra={"limit": limit, "amount": amount},
        )


def spread_discount(amounts: list[Decimal], discount: Decimal, currency: str) -> list[Decimal]:
    """Split `discount` over lines in proportion to their `amounts`, in whole minor units that
    add up to exactly `discount` (largest remainder first, so no line gets more than its
    amount). `discount` must not exceed the sum of `amounts`."""
    total = sum(amounts, Decimal(0))
    if discount <= 0 or total <= 0:
        return [money.zero(currency) for _ in amounts]
    unit = money.quantum(currency)
    exact = [discount * amount / total for amount in amounts]
    shares = [value.quantize(unit, rounding=ROUND_DOWN) for value in exact]
    leftover = int((discount - sum(shares, Decimal(0))) / unit)
    by_remainder = sorted(range(len(amounts)), key=lambda i: (shares[i] - exact[i], i))
    for index in by_remainder[:leftover]:
        shares[index] += unit
    return shares


def _discount_amount(discount: Discount | None, subtotal: Decimal, currency: str) -> Decimal:
    if discount is None or not discount.value:
        return money.zero(currency)
    if discount.kind == DISCOUNT_PERCENT:
        return money.quantize(subtotal * discount.value / 100, currency)
    return money.quantize(discount.value, currency)


def _check_lines(
    lines: list[tuple[str, int]], currency: str, rows: dict[str, SkuRow]
) -> list[dict[str, str]]:
    """The line problems a rep can fix, in their language (place_order checks them again)."""
    errors = []
    if not lines:
        errors.append(field_error("lines", "empty", _("Add at least one item.")))
    for index, (sku, quantity) in enumerate(lines):
        row = rows.get(sku)
        field = f"lines.{index}"
        if row is None or not row.variant.is_active:
            errors.append(
                field_error(field, "unknown_sku", _("%(sku)s is not for sale.") % {"sku": sku})
            )
        elif row.variant.currency != currency:
            errors.append(
                field_error(
                    field,
                    "currency_mismatch",
                    _("%(sku)s is priced in %(currency)s.")
                    % {"sku": sku, "currency": row.variant.currency},
                )
            )
        elif not 1 <= quantity <= MAX_QUANTITY:
            errors.append(
                field_error(
                    field,
                    "invalid_quantity",
                    _("Enter a quantity from 1 to %(max)s.") % {"max": MAX_QUANTITY},
                )
            )
    return errors


def _discount_errors(discount: Discount, currency: str) -> list[dict[str, str]]:
    if discount.kind == DISCOUNT_PERCENT and not 0 < discount.value <= 100:
        return [field_error("discount_value", "invalid", _("A percentage is from 0 to 100."))]
    if discount.kind == DISCOUNT_AMOUNT and not money.has_valid_precision(discount.value, currency):
        decimals = money.CURRENCY_EXPONENTS[currency]
        message = _("%(currency)s has %(decimals)s decimals.")
        return [
            field_error(
                "discount_value",
                "invalid_precision",
                message % {"currency": currency, "decimals": decimals},
            )
        ]
    return []


def quote(
    *,
    lines: list[tuple[str, int]],
    currency: str,
    shipping_method: str,
    discount: Discount | None = None,
    rows: dict[str, SkuRow] | None = None,
) -> Quote:
    """Price an assisted order: catalogue prices, the discount spread over the lines, the
    console's shipping rate; totals by orders.pricing.compute_totals, as placement does.
    Raises ValidationFailed with every problem found."""
    if currency not in shipping.RATES:
        raise ValidationFailed(
            "Unknown currency.",
            code="invalid_order",
            errors=[field_error("currency", "unknown_currency", _("Choose a currency."))],
        )
    rows = rows if rows is not None else skus_with_stock([sku for sku, _ in lines])
    errors = _check_lines(lines, currency, rows)
    if discount is not None and discount.value:
        errors += _discount_errors(discount, currency)
    try:
        shipping_price = shipping.shipping_rate(shipping_method, currency)
    except ValidationFailed as exc:
        errors += exc.errors
    if errors:
        raise ValidationFailed("The order is not valid.", code="invalid_order", errors=errors)
    amounts = [money.quantize(rows[sku].price * quantity, currency) for sku, quantity in lines]
    amount = _discount_amount(discount, sum(amounts, Decimal(0)), currency)
    if amount > sum(amounts, Decimal(0)):
        raise ValidationFailed(
            "The discount is larger than the items.",
            code="invalid_order",
            errors=[
                field_error(
                    "discount_value",
                    "discount_exceeds_items",
                    _("The discount is larger than the items."),
                )
            ],
        )
    line_inputs = [
        LineInput(sku=sku, quantity=quantity, unit_price=rows[sku].price, discount=share)
        for (sku, quantity), share in zip(
            lines, spread_discount(amounts, amount, currency), strict=True
        )
    ]
    totals = pricing.compute_totals(
        ((line, line.quantity) for line in line_inputs),
        shipping_price=shipping_price,
        currency=currency,
    )
    percentage = discount.value if discount and discount.kind == DISCOUNT_PERCENT else None
    return Quote(currency, line_inputs, shipping_price, amount, percentage, totals)
