"""Delivered orders and returns for the lifecycle tests, built through the real services.

Deliveries happen "now" (not on a fixed date), so the store's return window is open whatever
day the suite runs."""

import io
from datetime import timedelta
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from oms.actors import Actor
from orders import services
from orders.models import Order
from returns.models import RequestedVia, Resolution, ReturnPolicy, ReturnReasonRule
from returns.policy import RequestedLine, activate_policy
from returns.services import requests
from tests.factories import ADDRESS, StockFactory, VariantFactory, WarehouseFactory
from tests.orders.builders import order_input

ACTOR = Actor.system("tests")
CUSTOMER = Actor(kind="customer", label="ana@example.com")
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
WEBP = b"RIFF\x40\x00\x00\x00WEBPVP8 " + b"\x00" * 64


def store_policy(**overrides) -> ReturnPolicy:
    """An active policy the tests control: 30 days, refunds on receipt, "other" needs review,
    "damaged" needs a photo and is kept when worth at most 15, "no_longer_wanted" costs a 10 %
    restocking fee and the customer pays return shipping."""
    values = {
        "name": "Test policy",
        "window_days": 30,
        "refund_release": "receipt",
        "return_shipping_fee": Decimal("0"),
        "ship_within_days": 14,
        "store_credit_bonus_percent": Decimal("0"),
    }
    values.update(overrides)
    policy = activate_policy(ReturnPolicy(**values))
    rules = {
        "other": {"requires_review": True},
        "damaged": {"requires_photo": True, "keep_it_max_amount": Decimal("15")},
        "no_longer_wanted": {"restocking_fee_percent": Decimal("10")},
    }
    for reason, fields in rules.items():
        ReturnReasonRule.objects.create(policy=policy, reason=reason, **fields)
    return policy


def delivered_order(
    lines: tuple[tuple[str, int], ...] = (("TEE-M", 2), ("CAP", 1)),
    *,
    country: str = "US",
    warehouse_code: str = "EAST",
    delivered_days_ago: int = 1,
) -> Order:
    """An order of `lines` shipped from one warehouse and delivered `delivered_days_ago`."""
    warehouse = WarehouseFactory(code=warehouse_code, region="NY", priority=10)
    for sku, _quantity in lines:
        variant = VariantFactory(sku=sku, price=Decimal("20.00"))
        StockFactory(variant=variant, warehouse=warehouse, on_hand=10)
    address = {**ADDRESS, "country": country}
    order = services.place_order(
        data=order_input(list(lines), shipping_address=address), actor=ACTOR
    )
    for shipment in order.shipments.order_by("pk"):
        shipment = services.ship_shipment(
            shipment=shipment,
            carrier="ups",
            tracking_number=f"1Z{order.number}{shipment.pk}",
            actor=ACTOR,
        )
        services.record_tracking_event(
            carrier="ups",
            tracking_number=shipment.tracking_number,
            carrier_event_id=f"delivered-{shipment.pk}",
            status="delivered",
            occurred_at=timezone.now() - timedelta(days=delivered_days_ago),
            actor=ACTOR,
        )
    order.refresh_from_db()
    assert order.status == Order.Status.DELIVERED, order.status
    return order


def line_of(order: Order, sku: str):
    return order.lines.get(sku=sku)


def wanted(order: Order, sku: str, quantity: int, reason: str = "size_too_small", **extra):
    return RequestedLine(
        order_line_id=line_of(order, sku).pk, quantity=quantity, reason=reason, **extra
    )


def request(order: Order, *lines: RequestedLine, resolution=Resolution.REFUND, **kwargs):
    kwargs.setdefault("actor", CUSTOMER)
    kwargs.setdefault("via", RequestedVia.PORTAL)
    return requests.request_return(order=order, lines=list(lines), resolution=resolution, **kwargs)


def photo(content: bytes = JPEG, name: str = "photo.jpg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, io.BytesIO(content).getvalue(), content_type="image/jpeg")
