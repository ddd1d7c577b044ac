"""Template filters for customer messages: amounts as the customer reads them."""

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django import template
from django.utils.formats import number_format

register = template.Library()

# ISO 4217 minor units that differ from the usual two. Outbox payloads carry amounts as strings
# with the storage precision ("30.950"); notifications cannot import orders.money (apps depend
# one way), so the few exceptions live here, and a test keeps them equal to orders.money.
MINOR_UNITS = {"JPY": 0, "CLP": 0, "KRW": 0, "KWD": 3, "BHD": 3, "JOD": 3}


def minor_units(currency: str) -> int:
    return MINOR_UNITS.get(currency, 2)


@register.filter
def money(amount, currency: str) -> str:
    """The amount with its currency code, in the active language: "30.950" with "USD" gives
    "USD 30.95"; "1234.5" with "BRL" in Portuguese gives "BRL 1.234,50"."""
    try:
        value = Decimal(str(amount))
    except (InvalidOperation, ValueError):
        return str(amount)
    places = minor_units(currency or "")
    value = value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    formatted = number_format(value, decimal_pos=places, force_grouping=True)
    return f"{currency} {formatted}" if currency else formatted
