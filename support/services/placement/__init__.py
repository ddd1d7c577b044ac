"""Assisted order placement: a rep places an order on behalf of a customer.

The rep never types a card number: the order is paid with one of the customer's saved payment
methods (authorized at once) or with their store credit (debited at once, when it covers the
total), or waits in pending payment, its stock reserved, for the customer to pay through an
emailed payment link. An optional discount is a price adjustment within the
rep's authority (AuthorityRule, action price_adjustment, the order's currency); it is applied as
line discounts spread in proportion to the lines, and recorded as OrderAdjustment rows. The live
quote and the placed order are priced by the same function (orders.pricing.compute_totals) from
the same line inputs, so what the rep quotes is what the customer is charged."""

from support.services.placement.inputs import (
    DISCOUNT_AMOUNT,
    DISCOUNT_PERCENT,
    EURO_COUNTRIES,
    MAX_QUANTITY,
    PAYMENT_LINK,
    STORE_CREDIT,
    AssistedOrder,
    Discount,
    currency_for_country,
)
from support.services.placement.placing import place_assisted_order
from support.services.placement.quoting import (
    Quote,
    check_discount_authority,
    discount_limit,
    quote,
    spread_discount,
)

__all__ = [
    "DISCOUNT_AMOUNT",
    "DISCOUNT_PERCENT",
    "EURO_COUNTRIES",
    "MAX_QUANTITY",
    "PAYMENT_LINK",
    "STORE_CREDIT",
    "AssistedOrder",
    "Discount",
    "Quote",
    "check_discount_authority",
    "currency_for_country",
    "discount_limit",
    "place_assisted_order",
    "quote",
    "spread_discount",
]
