"""Builders for the policy engine's tests: delivered orders with chosen delivery times, countries
and time zones, a policy set up per test, and returns that claim units."""

from datetime import UTC, datetime
from decimal import Decimal

from orders import services
from orders.models import Customer, Order, OrderLine
from returns.models import (
    ReturnLine,
    ReturnPolicy,
    ReturnReasonRule,
    ReturnRequest,
    ReturnWindowOverride,
)
from tests.factories import ProductFactory, StockFactory, VariantFactory, WarehouseFactory
from tests.orders.builders import ACTOR, order_input

D = Decimal
DELIVERED = datetime(2026, 3, 1, 10, tzinfo=UTC)

ADDRESSES = {
    "BR": {
        "name": "Ana Souza",
        "line1": "Rua Augusta 100",
        "city": "São Paulo",
        "region": "SP",
        "postal_code": "01305-000",
        "country": "BR",
    },
    "US": {
        "name": "Sam Doe",
        "line1": "1 Main St",
        "city": "Boston",
        "region": "MA",
        "postal_code": "02108",
        "country": "US",
    },
    "FR": {
        "name": "Claire Martin",
        "line1": "10 rue de Rivoli",
        "city": "Paris",
        "region": "",
        "postal_code": "75001",
        "country": "FR",
    },
    "DE": {
        "name": "Jonas Weber",
        "line1": "Unter den Linden 1",
        "city": "Berlin",
        "region": "",
        "postal_code": "10117",
        "country": "DE",
    },
    "PT": {
        "name": "Rita Costa",
        "line1": "Rua Augusta 1",
        "city": "Lisboa",
        "region": "",
        "postal_code": "1100-048",
        "country": "PT",
    },
}


def variant(*, sku=None, price="25.00", currency="USD", product=None, warehouse="MAIN", **fields):
    """A variant with 100 units in `warehouse` (by code)."""
    warehouse = WarehouseFactory(code=warehouse, region="NY")
    kwargs = {"price": D(price), "currency": currency, **fields}
    if sku:
        kwargs["sku"] = sku
    if product is not None:
        kwargs["product"] = product
    made = VariantFactory(**kwargs)
    StockFactory(variant=made, warehouse=warehouse, on_hand=100)
    return made


def place(
    lines,
    *,
    country="US",
    currency="USD",
    time_zone="",
    shipping_price="5.00",
    shipping_method="standard",
    customer_country="US",
    channel="web",
) -> Order:
    """An order of `lines` ([(variant, quantity)]) shipping to `country`, placed, not shipped."""
    order = services.place_order(
        data=order_input(
            [(v.sku, q) for v, q in lines],
            shipping_address=ADDRESSES[country],
            currency=currency,
            shipping_price=shipping_price,
            shipping_method=shipping_method,
            channel=channel,
            customer=services.CustomerInput(
                email=f"buyer-{country.lower()}@example.com",
                name=ADDRESSES[country]["name"],
                country=customer_country,
            ),
        ),
        actor=ACTOR,
    )
    Customer.objects.filter(pk=order.customer_id).update(time_zone=time_zone)
    order.customer.refresh_from_db()
    return order


_events = iter(range(10**6))


def deliver_all(order: Order, delivered_at: datetime = DELIVERED) -> Order:
    for shipment in order.shipments.order_by("pk"):
        deliver_shipment(shipment, delivered_at)
    order.refresh_from_db()
    return order


def deliver_shipment(shipment, delivered_at: datetime = DELIVERED):
    number = next(_events)
    if shipment.status != "shipped":
        shipment = services.ship_shipment(
            shipment=shipment, carrier="ups", tracking_number=f"1Z{number:08d}", actor=ACTOR
        )
    services.record_tracking_event(
        carrier="ups",
        tracking_number=shipment.tracking_number,
        carrier_event_id=f"delivered-{number}",
        status="delivered",
        occurred_at=delivered_at,
        actor=ACTOR,
    )
    shipment.refresh_from_db()
    assert shipment.delivered_at == delivered_at
    return shipment


def delivered_order(
    *,
    quantity=3,
    delivered_at=DELIVERED,
    price="25.00",
    currency="USD",
    final_sale=False,
    **place_kwargs,
) -> Order:
    """A delivered one-line order of `quantity` units."""
    made = variant(price=price, currency=currency, is_final_sale=final_sale)
    order = place([(made, quantity)], currency=currency, **place_kwargs)
    return deliver_all(order, delivered_at)


def only_line(order: Order) -> OrderLine:
    return order.lines.get()


def use_policy(**fields) -> ReturnPolicy:
    """A fresh active policy (the seeded one deactivated), with no reason rules."""
    ReturnPolicy.objects.filter(is_active=True).update(is_active=False)
    fields.setdefault("name", "Test policy")
    return ReturnPolicy.objects.create(is_active=True, **fields)


def rule(policy: ReturnPolicy, reason: str, **fields) -> ReturnReasonRule:
    return ReturnReasonRule.objects.create(policy=policy, reason=reason, **fields)


def override(policy: ReturnPolicy, *, days: int, product=None, category="") -> ReturnWindowOverride:
    return ReturnWindowOverride.objects.create(
        policy=policy, product=product, category=category, window_days=days
    )


_rmas = iter(range(10**6))


def claim(order: Order, line: OrderLine, quantity: int, status="requested") -> ReturnRequest:
    """A return of `quantity` units of `line` in `status` (written directly: the engine reads
    returns, it does not make them)."""
    request = ReturnRequest.objects.create(
        rma=f"RT{order.number}-{next(_rmas)}",
        order=order,
        customer=order.customer,
        status=status,
        resolution="refund",
        requested_via="portal",
        refund_release="receipt",
        currency=order.currency,
        **ACTOR.as_fields(),
    )
    ReturnLine.objects.create(
        return_request=request,
        order_line=line,
        quantity=quantity,
        reason="size_too_small",
        unit_amount=line.unit_price,
    )
    return request


def other_product():
    return ProductFactory()
