"""Delivered orders and returns for the lifecycle tests, built through the real services.

Deliveries happen "now" (not on a fixed date), so the store's return window is open whatever
day the suite runs."""

import io
from datetime import timedelta
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from notifications.models import OutboxMessage
from oms.actors import Actor
from orders import services
from orders.models import Order, OrderEvent, OrderLine, Stock
from returns.models import (
    RequestedVia,
    Resolution,
    ReturnEvent,
    ReturnLine,
    ReturnPhoto,
    ReturnPolicy,
    ReturnReasonRule,
    ReturnRefund,
    ReturnRequest,
)
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
    """An active policy the tests control: 30 days, refunds on receipt, no return shipping fee;
    "other" needs review, "damaged" needs a photo and is kept when worth at most 25 (one unit,
    not two), "no_longer_wanted" costs a 10 % restocking fee."""
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
        "damaged": {"requires_photo": True, "keep_it_max_amount": Decimal("25")},
        "no_longer_wanted": {"restocking_fee_percent": Decimal("10")},
    }
    for reason, fields in rules.items():
        ReturnReasonRule.objects.create(policy=policy, reason=reason, **fields)
    return policy


def delivered_order(
    lines: tuple[tuple, ...] = (("TEE-M", 2), ("CAP", 1)),
    *,
    country: str = "US",
    warehouse_code: str = "EAST",
    delivered_days_ago: int = 1,
    email: str = "ana@example.com",
) -> Order:
    """An order of `lines` ((sku, quantity) or (sku, quantity, unit price); 20.00 by default)
    shipped from one warehouse, paid (captured) and delivered `delivered_days_ago`."""
    warehouse = WarehouseFactory(code=warehouse_code, region="NY", priority=10)
    for sku, _quantity, *price in lines:
        variant = VariantFactory(sku=sku, price=Decimal(price[0] if price else "20.00"))
        StockFactory(variant=variant, warehouse=warehouse, on_hand=10)
    address = {**ADDRESS, "country": country}
    order = services.place_order(
        data=order_input(
            [line[:2] for line in lines],
            shipping_address=address,
            customer=services.CustomerInput(email=email, name="Ana Souza"),
        ),
        actor=ACTOR,
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
    # The shipments' capture runs on commit, which a test's transaction never reaches.
    services.settle_payments(order_id=order.pk, actor=ACTOR, reason="shipped")
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


def assert_step(return_request, event_type: str, notify: str | None = None) -> None:
    """The step left its three marks: a return event, an order event (return_updated) naming
    the RMA and the step, and, when it notifies, an outbox message about the return."""
    assert ReturnEvent.objects.filter(return_request=return_request, type=event_type).exists()
    assert OrderEvent.objects.filter(
        order_id=return_request.order_id,
        type=OrderEvent.Type.RETURN_UPDATED,
        data__rma=return_request.rma,
        data__step=event_type,
    ).exists()
    if notify:
        message = OutboxMessage.objects.filter(
            event_type=notify, aggregate_type="return", aggregate_id=return_request.rma
        ).first()
        assert message is not None, notify
        assert message.payload["return"]["rma"] == return_request.rma


def return_marks() -> dict[str, int]:
    """Counts of everything a return step writes, to assert that a refusal wrote nothing."""
    return {
        "returns": ReturnRequest.objects.count(),
        "lines": ReturnLine.objects.count(),
        "photos": ReturnPhoto.objects.count(),
        "events": ReturnEvent.objects.count(),
        "order_events": OrderEvent.objects.filter(type=OrderEvent.Type.RETURN_UPDATED).count(),
        "outbox": OutboxMessage.objects.filter(aggregate_type="return").count(),
        "refunds": ReturnRefund.objects.count(),
        "returned_units": sum(OrderLine.objects.values_list("quantity_returned", flat=True)),
        "on_hand": sum(Stock.objects.values_list("on_hand", flat=True)),
    }


def notified(return_request) -> list[str]:
    return list(
        OutboxMessage.objects.filter(aggregate_type="return", aggregate_id=return_request.rma)
        .order_by("created_at")
        .values_list("event_type", flat=True)
    )


def steps(return_request) -> list[str]:
    return list(
        ReturnEvent.objects.filter(return_request=return_request)
        .order_by("id")
        .values_list("type", flat=True)
    )
