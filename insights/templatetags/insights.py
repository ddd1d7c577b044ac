"""Template helpers of the insights pages: a measure's value in its unit, plain counts and
amounts in the reader's number format, alert wording. Load with `{% load insights %}`."""

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django import template
from django.utils.formats import number_format
from django.utils.translation import gettext as _

register = template.Library()

MINUS = "\u2212"
NO_VALUE = "—"
# The units of insights.measures.Unit, and how many decimals a value is shown with.
PLACES = {
    "per_100_orders": 1,
    "per_100_shipments": 1,
    "per_100": 1,
    "percent": 1,
    "score": 2,
    "money_per_order": 2,
}


def _decimal(value) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        return Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        return None


def _digits(value: Decimal, places: int) -> str:
    """Rounded half up first: number_format alone cuts the extra digits off."""
    value = value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    text = number_format(abs(value), places, use_l10n=True, force_grouping=True)
    return (MINUS if value < 0 and text.strip("0.,") else "") + text


def format_value(value, unit: str) -> str:
    """A measure's value as a reader expects it: 12.5 (per 100), 87.3 %, 4.21 / 5, 3.10 USD.
    A money unit names its currency after a colon: "money_per_order:USD"."""
    number = _decimal(value)
    if number is None:
        return NO_VALUE
    unit, _colon, currency = (unit or "").partition(":")
    digits = _digits(number, PLACES.get(unit, 2))
    if currency:
        return f"{digits}\u00a0{currency}"
    if unit == "percent":
        return f"{digits}\u00a0%"
    if unit == "score":
        return f"{digits}\u00a0/\u00a05"
    return digits


def format_amount(value) -> str:
    """A numerator or denominator: whole numbers without decimals, others with two."""
    number = _decimal(value)
    if number is None:
        return NO_VALUE
    places = 0 if number == number.to_integral_value() else 2
    return _digits(number, places)


@register.filter
def measure_value(value, unit: str = "") -> str:
    """{{ row.value|measure_value:measure.unit }}"""
    return format_value(value, unit)


@register.filter
def amount(value) -> str:
    """{{ row.numerator|amount }}"""
    return format_amount(value)


@register.filter
def unit_label(unit: str) -> str:
    """What a measure's value counts, for a table's heading."""
    return {
        "per_100_orders": _("per 100 orders"),
        "per_100_shipments": _("per 100 shipments"),
        "per_100": _("per 100"),
        "percent": _("percent"),
        "score": _("average score, 1 to 5"),
        "money_per_order": _("per order"),
    }.get(unit, "")


@register.filter
def times_baseline(observed, baseline) -> str:
    """How many times its baseline the observed rate is ("3.2x", with a times sign); empty
    without a baseline."""
    observed, baseline = _decimal(observed), _decimal(baseline)
    if observed is None or not baseline:
        return ""
    return _("%(ratio)s×") % {"ratio": _digits(observed / baseline, 1)}
