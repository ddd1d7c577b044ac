"""factory_boy factories for the order core."""

from decimal import Decimal

import factory

from oms.models import ApiClient, Scope
from orders.models import Customer, Product, Stock, Variant, Warehouse


class WarehouseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Warehouse
        django_get_or_create = ["code"]

    code = factory.Sequence(lambda n: f"WH{n:02d}")
    name = factory.LazyAttribute(lambda o: f"Warehouse {o.code}")
    country = "US"
    region = "CA"
    priority = factory.Sequence(lambda n: 10 * (n + 1))


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Product

    name = factory.Sequence(lambda n: f"Product {n}")
    slug = factory.Sequence(lambda n: f"product-{n}")
    category = "apparel"


class VariantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Variant

    product = factory.SubFactory(ProductFactory)
    sku = factory.Sequence(lambda n: f"SKU-{n:05d}")
    name = factory.LazyAttribute(lambda o: f"{o.product.name} / M")
    price = Decimal("25.00")
    currency = "USD"
    weight_grams = 300


class StockFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Stock

    variant = factory.SubFactory(VariantFactory)
    warehouse = factory.SubFactory(WarehouseFactory)
    on_hand = 100
    allocated = 0


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer

    name = factory.Faker("name")
    email = factory.Sequence(lambda n: f"customer{n}@example.com")
    phone = factory.Sequence(lambda n: f"+1555{n:07d}")


def make_api_client(
    name: str = "test-client", scopes: list[str] | None = None
) -> tuple[ApiClient, str]:
    client = ApiClient(name=name, scopes=scopes if scopes is not None else list(Scope.values))
    token = client.set_new_token()
    client.save()
    return client, token


ADDRESS = {
    "name": "Ana Souza",
    "line1": "Rua Augusta 100",
    "city": "São Paulo",
    "region": "SP",
    "postal_code": "01305-000",
    "country": "BR",
}


def order_body(lines: list[tuple[str, int]], **overrides) -> dict:
    body = {
        "channel": "web",
        "customer": {"email": "ana@example.com", "name": "Ana Souza"},
        "shipping_address": ADDRESS,
        "shipping_method": "standard",
        "shipping_price": "5.00",
        "currency": "USD",
        "lines": [{"sku": sku, "quantity": quantity} for sku, quantity in lines],
        "payment": {"gateway": "sandbox", "token": "4242424242424242"},
    }
    body.update(overrides)
    return body
