"""The replenishment reminder as the services emit it, for the events-doc shape test: a
consumable delivered, its reminder scheduled and sent when due."""

from datetime import timedelta

from feedback.models import ConsumableProduct, ReplenishmentReminder
from feedback.services import replenishment
from orders import services
from tests.factories import StockFactory, VariantFactory, WarehouseFactory
from tests.orders.builders import ACTOR, deliver, order_input, ship


def replenishment_scenario() -> None:
    variant = VariantFactory(sku="DOC-COFFEE", product__slug="doc-coffee")
    StockFactory(variant=variant, warehouse=WarehouseFactory(code="DOCWH"), on_hand=10)
    ConsumableProduct.objects.create(product=variant.product, reorder_interval_days=30)
    customer = services.CustomerInput(email="doc-coffee@example.com", name="Ana Souza")
    order = services.place_order(
        data=order_input([(variant.sku, 2)], customer=customer), actor=ACTOR
    )
    for shipment in order.shipments.all():
        deliver(ship(shipment, "1Z-DOC-COFFEE"), "doc-coffee-delivered")
    replenishment.schedule_reminders()
    reminder = ReplenishmentReminder.objects.get(line__order=order)
    replenishment.send_due_reminders(now=reminder.due_at + timedelta(minutes=1))
