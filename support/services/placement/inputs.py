"""What a rep submits to place an order for a customer (lines, address, payment, discount) and the
currency the customer's country pays in."""

from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings

from orders.services.placement import CustomerInput

PAYMENT_LINK = "link"
STORE_CREDIT = "store_credit"  # the customer's store credit (returns.gateway) pays it all
DISCOUNT_AMOUNT = "amount"
DISCOUNT_PERCENT = "percent"
MAX_QUANTITY = 999
# Countries whose customers pay in euros by default (the euro area); Brazil pays in reais.
EURO_COUNTRIES = frozenset(
    {"AT", "BE", "CY", "DE", "EE", "ES", "FI", "FR", "GR", "HR"}
    | {"IE", "IT", "LT", "LU", "LV", "MT", "NL", "PT", "SI", "SK"}
)


@dataclass(frozen=True)
class Discount:
    kind: str  # DISCOUNT_AMOUNT or DISCOUNT_PERCENT
    value: Decimal
    reason_code: str = ""
    note: str = ""


@dataclass(frozen=True)
class AssistedOrder:
    """What the rep entered. `customer_id` names an existing customer, else `new_customer` is
    created; `address_id` names one of the customer's saved addresses, else `new_address`;
    `payment` is PAYMENT_LINK, STORE_CREDIT (an existing customer's credit in the order's
    currency) or the id of one of the customer's saved payment methods."""

    lines: list[tuple[str, int]]
    currency: str
    shipping_method: str
    customer_id: int | None = None
    new_customer: CustomerInput | None = None
    address_id: int | None = None
    new_address: dict | None = None
    payment: str | int = PAYMENT_LINK
    discount: Discount | None = None
    note: str = ""


def field_error(field: str, code: str, message: str) -> dict[str, str]:
    """One entry of a ValidationFailed's `errors`."""
    return {"field": field, "code": code, "message": message}


def currency_for_country(country: str) -> str:
    """The currency a customer in `country` is charged in by default."""
    country = (country or "").upper()
    if country == "BR":
        return "BRL"
    if country in EURO_COUNTRIES:
        return "EUR"
    if country == "GB":
        return "GBP"
    return settings.OMS_DEFAULT_CURRENCY
