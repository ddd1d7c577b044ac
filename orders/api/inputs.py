"""Input shapes shared by several order API views (addresses, customers, lines)."""

from decimal import Decimal

from rest_framework import serializers

from orders.models import Order
from orders.models.customers import Locale
from orders.money import DECIMAL_PLACES, MAX_DIGITS
from orders.services import payments

MAX_QUANTITY = 10_000
MAX_LINES = 200


def money_input(**kwargs) -> serializers.DecimalField:
    return serializers.DecimalField(
        max_digits=MAX_DIGITS, decimal_places=DECIMAL_PLACES, min_value=0, **kwargs
    )


class AddressInput(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    line1 = serializers.CharField(max_length=200)
    line2 = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    city = serializers.CharField(max_length=100)
    region = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")
    postal_code = serializers.CharField(max_length=16)
    country = serializers.RegexField(
        r"^[A-Z]{2}$", max_length=2, error_messages={"invalid": "Use an ISO 3166-1 alpha-2 code."}
    )
    phone = serializers.CharField(max_length=32, required=False, allow_blank=True, default="")


class CustomerInput(serializers.Serializer):
    email = serializers.EmailField(max_length=254)
    name = serializers.CharField(max_length=200)
    phone = serializers.CharField(max_length=32, required=False, allow_blank=True, default="")
    locale = serializers.ChoiceField(choices=Locale.choices, default=Locale.EN)
    country = serializers.RegexField(r"^[A-Z]{2}$", max_length=2, default="US")


class LineInput(serializers.Serializer):
    sku = serializers.CharField(max_length=64)
    quantity = serializers.IntegerField(min_value=1, max_value=MAX_QUANTITY)
    unit_price = money_input(required=False, help_text="Defaults to the catalogue price.")
    discount = money_input(required=False, default=Decimal(0), help_text="For the whole line.")


class GatewayField(serializers.ChoiceField):
    """A payment gateway's name: the built-in ones and those other apps register (returns
    registers "store_credit" in its ready()). The choices are read each time a serializer is
    built (a request's serializer is a fresh copy, which runs __init__ again), never frozen
    when this module is imported."""

    def __init__(self, **kwargs):
        super().__init__(choices=payments.gateway_names(), **kwargs)


class PaymentInput(serializers.Serializer):
    gateway = GatewayField(
        default="sandbox",
        help_text="sandbox (test cards), external, or store_credit: the customer's store "
        "credit pays the whole order, declined (402) when the balance is short.",
    )
    token = serializers.CharField(
        max_length=128,
        required=False,
        allow_blank=True,
        default="",
        help_text="sandbox: a test card number, e.g. 4242424242424242. store_credit: "
        '"customer:<id>", the id of the order\'s own customer (the one its email names).',
    )


class LineQuantityInput(serializers.Serializer):
    line_id = serializers.IntegerField(min_value=1)
    quantity = serializers.IntegerField(min_value=1, max_value=MAX_QUANTITY)


class ReasonInput(serializers.Serializer):
    reason = serializers.CharField(max_length=255)


API_CHANNELS = [Order.Channel.WEB, Order.Channel.MARKETPLACE, Order.Channel.API]
