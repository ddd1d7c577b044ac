"""Every return event, emitted by the real returns services: the scenario docs/events.md's
examples are checked against (tests/notifications/test_events_doc.py)."""

from datetime import timedelta

from django.utils import timezone

from oms.actors import Actor
from orders.models import Order
from returns.models import Resolution
from returns.services import portal_access, receiving, refunds, transitions
from tests.factories import StockFactory, VariantFactory
from tests.returns.lifecycle_builders import (
    ACTOR,
    delivered_order,
    request,
    store_policy,
    wanted,
)

WMS = Actor.system("wms")


def receive_everything(return_request, condition: str = "as_new"):
    return receiving.receive_return(
        return_request=return_request,
        lines=[(line.pk, line.quantity, condition) for line in return_request.lines.all()],
        actor=WMS,
    )


def returns_scenario() -> None:
    """A return reviewed and rejected; one shipped, scanned, received (refunded on receipt),
    inspected and closed; one cancelled; one expired; one for store credit with a bonus; one
    exchanged; a Brazilian customer's statutory withdrawal; and the portal's access code."""
    store_policy(store_credit_bonus_percent=10)
    order = delivered_order((("RET-TEE-M", 3), ("RET-CAP", 2)), warehouse_code="RET")

    reviewed = request(order, wanted(order, "RET-CAP", 1, "other"))
    transitions.reject_return(return_request=reviewed, actor=ACTOR, reason="Worn")

    refunded = request(order, wanted(order, "RET-TEE-M", 1))
    receiving.record_return_scan(
        tracking_number=refunded.tracking_number,
        status="picked_up",
        occurred_at=timezone.now(),
        actor=ACTOR,
        carrier_event_id="doc-return-1",
        location="Secaucus, NJ",
    )
    refunded = receive_everything(refunded)
    refunded = receiving.inspect_return(
        return_request=refunded,
        lines=[(line.pk, "restock") for line in refunded.lines.all()],
        actor=WMS,
    )
    transitions.close_return(return_request=refunded, actor=WMS)

    cancelled = request(order, wanted(order, "RET-CAP", 1))
    transitions.cancel_return(return_request=cancelled, actor=ACTOR, reason="Kept it")
    expiring = request(order, wanted(order, "RET-CAP", 1))
    transitions.expire_returns(now=expiring.expires_at + timedelta(minutes=1))

    credited = request(order, wanted(order, "RET-TEE-M", 1), resolution=Resolution.STORE_CREDIT)
    receive_everything(credited)
    refunds.release_refund(return_request=credited, actor=WMS)

    tee = order.lines.get(sku="RET-TEE-M")
    larger = VariantFactory(sku="RET-TEE-L", product=tee.variant.product, price=tee.unit_price)
    StockFactory(variant=larger, warehouse=order.shipments.first().warehouse, on_hand=5)
    exchanged = request(
        order,
        wanted(order, "RET-TEE-M", 1, exchange_variant_id=larger.pk),
        resolution=Resolution.EXCHANGE,
    )
    receive_everything(exchanged)

    brazilian = delivered_order((("RET-SHIRT", 1),), country="BR", warehouse_code="RET")
    request(
        brazilian,
        wanted(brazilian, "RET-SHIRT", 1, reason=""),
        is_withdrawal=True,
    )
    portal_access.issue_access(order=Order.objects.get(pk=brazilian.pk))
