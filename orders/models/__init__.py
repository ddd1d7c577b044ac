"""Order-core models, one module per aggregate; import them from here."""

from orders.models.adjustments import OrderAdjustment
from orders.models.catalog import Product, Variant
from orders.models.customers import Address, Customer, SavedPaymentMethod
from orders.models.fulfilment import Allocation, Shipment, ShipmentLine, TrackingEvent
from orders.models.inventory import Stock, StockMovement, Warehouse
from orders.models.orders import Order, OrderEvent, OrderLine
from orders.models.payments import Payment, PaymentTransaction
from orders.models.sandbox import SandboxCharge, SandboxOperation

__all__ = [
    "Address",
    "Allocation",
    "Customer",
    "Order",
    "OrderAdjustment",
    "OrderEvent",
    "OrderLine",
    "Payment",
    "PaymentTransaction",
    "Product",
    "SandboxCharge",
    "SandboxOperation",
    "SavedPaymentMethod",
    "Shipment",
    "ShipmentLine",
    "Stock",
    "StockMovement",
    "TrackingEvent",
    "Variant",
    "Warehouse",
]
