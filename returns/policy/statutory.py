"""The statutory right of withdrawal, as code: law, not settings, so the admin cannot switch it
off. It overrides a stricter store policy (final sale, a closed store window): the customer may
still withdraw within the legal period, needs no reason, pays no restocking fee and no return
shipping fee, and gets the original delivery cost back when they withdraw from the whole order.

Brazil: Código de Defesa do Consumidor (Lei 8.078/1990), art. 49
  (https://www.planalto.gov.br/ccivil_03/leis/l8078compilado.htm):
  "O consumidor pode desistir do contrato, no prazo de 7 dias a contar de sua assinatura ou do
  ato de recebimento do produto ou serviço, sempre que a contratação de fornecimento de
  produtos e serviços ocorrer fora do estabelecimento comercial, especialmente por telefone ou
  a domicílio." Parágrafo único: the amounts paid "a qualquer título" are returned, which
  courts and Procon read as including the delivery charge.
  Every channel we sell through (web, marketplace, api, csr by phone, exchange and replacement
  orders of such purchases) is a purchase made outside a physical store, and so is an online
  purchase collected in a store ("pickup"): all our orders are remote.

European Union: Directive 2011/83/EU on consumer rights
  (https://eur-lex.europa.eu/eli/dir/2011/83/oj):
  art. 9(1) 14 days to withdraw from a distance contract without giving any reason;
  art. 9(2)(b)(i) for several goods ordered together and delivered separately, the period runs
  from the physical possession of the last good; art. 13(1) the trader reimburses all payments,
  including the costs of delivery; art. 13(2) except the supplement for a delivery more
  expensive than the least expensive standard delivery offered; art. 13(3) the trader may
  withhold the refund until the goods are received or proof of sending is supplied;
  art. 11a (inserted by Directive (EU) 2023/2673) the online "withdrawal function" button.

Partial withdrawals: both laws refund the delivery cost of the contract withdrawn from; we
refund the original shipping only when the withdrawal covers every unit of the order that has
not been cancelled or returned already, so a customer who keeps part of the order (and so
keeps the delivery) does not get the delivery back for the part they return.
"""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from orders.models import Order
from orders.money import quantize, zero
from returns.policy.zones import window_end

# The 27 member states, by ISO 3166-1 alpha-2 (Greece is GR here, "EL" in EU documents).
EU_MEMBER_STATES = frozenset(
    {
        "AT",  # Austria
        "BE",  # Belgium
        "BG",  # Bulgaria
        "HR",  # Croatia
        "CY",  # Cyprus
        "CZ",  # Czechia
        "DK",  # Denmark
        "EE",  # Estonia
        "FI",  # Finland
        "FR",  # France
        "DE",  # Germany
        "GR",  # Greece
        "HU",  # Hungary
        "IE",  # Ireland
        "IT",  # Italy
        "LV",  # Latvia
        "LT",  # Lithuania
        "LU",  # Luxembourg
        "MT",  # Malta
        "NL",  # Netherlands
        "PL",  # Poland
        "PT",  # Portugal
        "RO",  # Romania
        "SK",  # Slovakia
        "SI",  # Slovenia
        "ES",  # Spain
        "SE",  # Sweden
    }
)

# Channels whose purchases are made outside a physical store. All of ours are (see above); a
# future in-store channel would be left out of this set.
REMOTE_CHANNELS = frozenset(Order.Channel.values)


@dataclass(frozen=True)
class StatutoryRule:
    code: str
    days: int
    refunds_original_shipping: bool
    # EU: only the least expensive standard delivery (art. 13(2)); Brazil: all of it.
    refunds_only_standard_shipping: bool
    has_withdrawal_button: bool


BRAZIL = StatutoryRule(
    code="br_cdc_49",
    days=7,
    refunds_original_shipping=True,
    refunds_only_standard_shipping=False,
    has_withdrawal_button=False,
)
EUROPEAN_UNION = StatutoryRule(
    code="eu_14_days",
    days=14,
    refunds_original_shipping=True,
    refunds_only_standard_shipping=True,
    has_withdrawal_button=True,
)


def order_country(order) -> str:
    """The country whose law protects the purchase: where the order ships to (the consumer's
    habitual residence as far as we know it), else the customer's country."""
    country = (order.shipping_address or {}).get("country") or order.customer.country
    return (country or "").upper()


def statutory_rule(order) -> StatutoryRule | None:
    """The withdrawal right the order's country gives, or None."""
    if order.channel not in REMOTE_CHANNELS:
        return None
    country = order_country(order)
    if country == "BR":
        return BRAZIL
    if country in EU_MEMBER_STATES:
        return EUROPEAN_UNION
    return None


def withdrawal_ends_at(rule: StatutoryRule, last_delivered_at: datetime, zone: str) -> datetime:
    """Counted from the delivery of the order's last delivered parcel (EU art. 9(2)(b)(i); for
    Brazil the reading most favourable to the consumer, CDC art. 47), to the end of the last
    day in the customer's time zone."""
    return window_end(last_delivered_at, rule.days, zone)


def refundable_shipping(rule: StatutoryRule, order, *, standard_rate: Decimal | None) -> Decimal:
    """The part of the order's shipping charge a full withdrawal refunds. EU: at most the price
    of standard delivery (art. 13(2)), when the order paid for a faster one and we know the
    standard price; Brazil: all of it."""
    if not rule.refunds_original_shipping:
        return zero(order.currency)
    shipping = quantize(order.shipping_total, order.currency)
    if (
        rule.refunds_only_standard_shipping
        and order.shipping_method != Order.ShippingMethod.STANDARD
        and standard_rate is not None
    ):
        shipping = min(shipping, quantize(standard_rate, order.currency))
    return shipping
