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
# The largest amount a money column holds; a total beyond it cannot be stored.
MAX_AMOUNT = Decimal(10) ** (MAX_DIGITS - DECIMAL_PLACES) - Decimal(1).scaleb(-DECIMAL_PLACES)


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
    """No digits below the currency's minor unit. Never raises and never rounds: quantize and
    normalize both work within the decimal context's 28 digits, so this reads the digits."""
    amount = Decimal(amount)
    if not amount.is_finite():
        return False
    _, digits, exponent = amount.as_tuple()
    significant = "".join(map(str, digits)).rstrip("0")
    lowest = exponent + len(digits) - len(significant)  # the exponent of the last nonzero digit
    return not significant or lowest >= -CURRENCY_EXPONENTS[currency]


def money_field_kwargs() -> dict:
    return {"max_digits": MAX_DIGITS, "decimal_places": DECIMAL_PLACES}
