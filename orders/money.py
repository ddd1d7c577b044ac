"""Money is Decimal in the order's ISO 4217 currency, quantized to that currency's minor unit."""

from decimal import ROUND_HALF_UP, Decimal

# Minor units per ISO 4217 for the currencies the store accepts.
CURRENCY_EXPONENTS: dict[str, int] = {
    "BRL": 2,
    "USD": 2,
    "EUR": 2,
    "GBP": 2,
    "CAD": 2,
    "MXN": 2,
    "ARS": 2,
    "JPY": 0,
    "CLP": 0,
    "KRW": 0,
    "KWD": 3,
    "BHD": 3,
    "JOD": 3,
}
CURRENCIES = sorted(CURRENCY_EXPONENTS)
MAX_DIGITS = 14  # up to 10^11 in the major unit with 3 decimals: far above any real order
DECIMAL_PLACES = 3


def is_known_currency(currency: str) -> bool:
    return currency in CURRENCY_EXPONENTS


def quantum(currency: str) -> Decimal:
    return Decimal(1).scaleb(-CURRENCY_EXPONENTS[currency])


def quantize(amount: Decimal, currency: str) -> Decimal:
    """Round half up to the currency's minor unit (commercial rounding)."""
    return Decimal(amount).quantize(quantum(currency), rounding=ROUND_HALF_UP)


def zero(currency: str) -> Decimal:
    return quantize(Decimal(0), currency)


def has_valid_precision(amount: Decimal, currency: str) -> bool:
    return quantize(amount, currency) == amount


def money_field_kwargs() -> dict:
    return {"max_digits": MAX_DIGITS, "decimal_places": DECIMAL_PLACES}
