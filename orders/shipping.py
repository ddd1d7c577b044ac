"""What shipping costs when the store prices it itself (assisted orders, order edits that change
the method). Storefronts send their own price with the order; these are the console's rates."""

from decimal import Decimal

from django.utils.translation import gettext_lazy as _

from oms.exceptions import ValidationFailed
from orders.models import Order

# Per currency, per shipping method, in the currency's major unit.
RATES: dict[str, dict[str, Decimal]] = {
    "USD": {"standard": Decimal("7.90"), "express": Decimal("14.90"), "next_day": Decimal("24.90")},
    "EUR": {"standard": Decimal("6.90"), "express": Decimal("12.90"), "next_day": Decimal("21.90")},
    "GBP": {"standard": Decimal("4.99"), "express": Decimal("9.99"), "next_day": Decimal("14.99")},
    "BRL": {
        "standard": Decimal("19.90"),
        "express": Decimal("39.90"),
        "next_day": Decimal("59.90"),
    },
}
FREE_METHODS = {Order.ShippingMethod.PICKUP}


def shipping_rate(method: str, currency: str) -> Decimal:
    """The price of `method` in `currency`; store pickup is free."""
    if method not in Order.ShippingMethod.values:
        raise ValidationFailed(
            f"Unknown shipping method {method!r}.",
            code="unknown_shipping_method",
            errors=[
                {
                    "field": "shipping_method",
                    "code": "unknown_shipping_method",
                    "message": str(_("Choose a shipping method.")),
                }
            ],
        )
    if method in FREE_METHODS:
        return Decimal(0)
    try:
        return RATES[currency][method]
    except KeyError:
        raise ValidationFailed(
            f"No shipping rate for {method} in {currency}.",
            code="no_shipping_rate",
            errors=[
                {
                    "field": "shipping_method",
                    "code": "no_shipping_rate",
                    "message": str(_("This shipping method is not offered in this currency.")),
                }
            ],
        ) from None


def shipping_options(currency: str) -> list[tuple[str, str, Decimal]]:
    """(method, label, price) for every method offered in `currency`."""
    options = []
    for method, label in Order.ShippingMethod.choices:
        if method in FREE_METHODS or method in RATES.get(currency, {}):
            options.append((method, str(label), shipping_rate(method, currency)))
    return options
