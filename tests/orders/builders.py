"""Build orders in any status through the real services, for tests."""

from datetime import UTC, datetime

from oms.actors import Actor
from orders import services
from orders.models import Order, Shipment
from orders.services import placement
from tests.factories import ADDRESS, StockFactory, VariantFactory, WarehouseFactory

ACTOR = Actor.system("tests")


def order_input(lines: list[tuple[str, int]], **overrides) -> services.OrderInput:
    values = {
        "channel": "web",
        "customer": services.CustomerInput(email="ana@example.com", name="Ana Souza"),
        "shipping_address": ADDRESS,
        "lines": [services.LineInput(sku=sku, quantity=q) for sku, q in lines],
        "shipping_price": "5.00",
        "currency": "USD",
        "payment": services.PaymentInput(token="4242424242424242"),
    }
    values.update(overrides)
    from decimal import Decimal

    values["shipping_price"] = Decimal(values["shipping_price"])
    return services.OrderInput(**values)


def split_catalog() -> str:
    """One SKU with 5 units at EAST (priority 10) and 5 at WEST (20); returns the SKU."""
    east = WarehouseFactory(code="EAST", region="NY", priority=10)
    west = WarehouseFactory(code="WEST", region="CA", priority=20)
    variant = VariantFactory(sku="TEE-M")
    StockFactory(variant=variant, warehouse=east, on_hand=5)
    StockFactory(variant=variant, warehouse=west, on_hand=5)
    return variant.sku


def ship(shipment: Shipment, tracking: str) -> Shipment:
    return services.ship_shipment(
        shipment=shipment, carrier="ups", tracking_number=tracking, actor=ACTOR
    )


def deliver(shipment: Shipment, event_id: str) -> None:
    services.record_tracking_event(
        carrier="ups",
        tracking_number=shipment.tracking_number,
        carrier_event_id=event_id,
        status="delivered",
        occurred_at=datetime(2026, 11, 20, 12, tzinfo=UTC),
        actor=ACTOR,
    )


def order_in_status(status: str, sku: str) -> Order:
    """An order of 7 units (5 from EAST, 2 from WEST: two shipments) in the given status."""
    if status == Order.Status.PENDING_PAYMENT:
        data = order_input([(sku, 7)])
        variants = {v.sku: v for v in VariantFactory._meta.model.objects.filter(sku=sku)}
        return placement._create_and_allocate(data, variants, ACTOR)
    order = services.place_order(data=order_input([(sku, 7)]), actor=ACTOR)
    first, second = order.shipments.order_by("pk")
    if status == Order.Status.PROCESSING:
        services.advance_shipment(shipment=first, status="picking", actor=ACTOR)
    elif status == Order.Status.ON_HOLD:
        services.hold_order(order=order, actor=ACTOR, reason="fraud review")
    elif status == Order.Status.CANCELLED:
        services.cancel_order(order=order, actor=ACTOR, reason="customer asked")
    elif status in (
        Order.Status.PARTIALLY_SHIPPED,
        Order.Status.SHIPPED,
        Order.Status.PARTIALLY_DELIVERED,
        Order.Status.DELIVERED,
    ):
        first = ship(first, "T1")
        if status != Order.Status.PARTIALLY_SHIPPED:
            second = ship(second, "T2")
        if status in (Order.Status.PARTIALLY_DELIVERED, Order.Status.DELIVERED):
            deliver(first, "d1")
        if status == Order.Status.DELIVERED:
            deliver(second, "d2")
    order.refresh_from_db()
    assert order.status == status, (order.status, status)
    return order
