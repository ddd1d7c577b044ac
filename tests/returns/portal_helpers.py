"""Orders, policies and browser sessions for the portal's tests, built through the real services.

Deliveries happen "now", so the store's window is open whatever day the suite runs. Each order
has its own customer (email), country and postal code; the products come in sizes (S, M, L) of
one product, so an exchange has somewhere to go."""

import re
from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from notifications.models import OutboxMessage
from oms.actors import Actor
from orders import services
from orders.models import Order, Product
from returns.models import (
    PortalAttempt,
    RequestedVia,
    Resolution,
    ReturnPolicy,
    ReturnReasonRule,
)
from returns.policy import RequestedLine, activate_policy
from returns.services import portal_access, requests
from tests.factories import StockFactory, VariantFactory, WarehouseFactory
from tests.orders.builders import order_input

ACTOR = Actor.system("tests")
ADDRESSES = {
    "US": {"line1": "1 Main St", "city": "Boston", "region": "MA", "postal_code": "02108"},
    "BR": {
        "line1": "Rua Augusta 100",
        "city": "São Paulo",
        "region": "SP",
        "postal_code": "01305-000",
    },
    "DE": {"line1": "Unter den Linden 1", "city": "Berlin", "region": "", "postal_code": "10117"},
}
# The masked CSRF token differs on every render; everything else must not.
CSRF = re.compile(rb'name="csrfmiddlewaretoken" value="[^"]+"')


def store_policy(**overrides) -> ReturnPolicy:
    """30 days, refunds on receipt, 10 % store-credit bonus, "damaged" needs a photo, "other"
    needs review, "no_longer_wanted" costs a 10 % restocking fee."""
    values = {
        "name": "Portal test policy",
        "window_days": 30,
        "refund_release": "receipt",
        "store_credit_bonus_percent": Decimal("10"),
        "ship_within_days": 14,
    }
    values.update(overrides)
    policy = activate_policy(ReturnPolicy(**values))
    ReturnReasonRule.objects.create(policy=policy, reason="damaged", requires_photo=True)
    ReturnReasonRule.objects.create(policy=policy, reason="other", requires_review=True)
    ReturnReasonRule.objects.create(
        policy=policy, reason="no_longer_wanted", restocking_fee_percent=Decimal("10")
    )
    return policy


def tee_sizes() -> dict[str, object]:
    """A tee in S, M and L (20.00 each) with 10 units of each at the MAIN warehouse."""
    warehouse = WarehouseFactory(code="MAIN", region="NY", priority=10)
    product = Product.objects.filter(slug="portal-tee").first() or Product.objects.create(
        name="Organic tee", slug="portal-tee", category="apparel"
    )
    variants = {}
    for size in ("S", "M", "L"):
        sku = f"TEE-{size}"
        variant = VariantFactory._meta.model.objects.filter(sku=sku).first()
        if variant is None:
            variant = VariantFactory(
                sku=sku, product=product, name=f"Organic tee / {size}", price=Decimal("20.00")
            )
            StockFactory(variant=variant, warehouse=warehouse, on_hand=10)
        variants[size] = variant
    return variants


def delivered(
    *,
    email: str = "ana@example.com",
    country: str = "US",
    lines: tuple[tuple[str, int], ...] = (("TEE-M", 2),),
    locale: str = "en",
    delivered_days_ago: int = 1,
) -> Order:
    """A delivered, paid order for `email`, shipped to `country`."""
    tee_sizes()
    address = {"name": "Ana Souza", "country": country, **ADDRESSES[country]}
    customer = services.CustomerInput(email=email, name="Ana Souza", locale=locale, country=country)
    order = services.place_order(
        data=order_input(list(lines), shipping_address=address, customer=customer), actor=ACTOR
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
    services.settle_payments(order_id=order.pk, actor=ACTOR, reason="shipped")
    order.refresh_from_db()
    assert order.status == Order.Status.DELIVERED, order.status
    return order


def open_order(client, order: Order) -> None:
    """Let `client` into the order the way a customer gets in: the emailed signed link."""
    token = portal_access.access_link(order.number).rsplit("/access/", 1)[1].strip("/")
    response = client.get(f"/returns/access/{token}/")
    assert response.status_code == 302, response.status_code


def access_messages(order: Order | None = None):
    messages = OutboxMessage.objects.filter(event_type=portal_access.ACCESS_EVENT)
    if order is not None:
        messages = messages.filter(aggregate_id=order.number)
    return messages


def sent_code(order: Order) -> str:
    """The code in the newest access email for the order (what the customer reads)."""
    message = access_messages(order).order_by("-created_at").first()
    assert message is not None, "no access email was sent"
    return message.payload["access"]["code"]


def attempts() -> int:
    return PortalAttempt.objects.count()


def without_csrf(content: bytes) -> bytes:
    return CSRF.sub(b'name="csrfmiddlewaretoken" value=""', content)


def request_refund(order: Order, sku: str = "TEE-M", quantity: int = 1, **kwargs):
    """A return requested by the order's customer through the real service."""
    kwargs.setdefault("resolution", Resolution.REFUND)
    return requests.request_return(
        order=order,
        lines=[
            RequestedLine(
                order_line_id=order.lines.get(sku=sku).pk,
                quantity=quantity,
                reason=kwargs.pop("reason", "size_too_small"),
            )
        ],
        actor=Actor.for_customer(order.customer),
        via=RequestedVia.PORTAL,
        **kwargs,
    )
