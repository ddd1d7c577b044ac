"""Every write of the order core, one function per business action. Import from here."""

from orders.services.customers import get_or_create_customer
from orders.services.delays import clear_order_attention, detect_delays
from orders.services.fulfilment import (
    advance_shipment,
    apply_pending_tracking_events,
    apply_tracking_event,
    record_tracking_event,
    ship_shipment,
    split_shipment,
)
from orders.services.inventory import adjust_stock
from orders.services.lifecycle import (
    cancel_abandoned_orders,
    cancel_lines,
    cancel_order,
    hold_order,
    release_order,
)
from orders.services.payments import resume_pending_transactions, settle_payments
from orders.services.placement import (
    CustomerInput,
    LineInput,
    OrderInput,
    PaymentInput,
    confirm_order,
    place_order,
)
from orders.services.tracking import (
    MAX_TRACKING_BATCH,
    ScanInput,
    apply_tracking_events,
    record_tracking_events,
)

__all__ = [
    "MAX_TRACKING_BATCH",
    "CustomerInput",
    "LineInput",
    "OrderInput",
    "PaymentInput",
    "ScanInput",
    "adjust_stock",
    "advance_shipment",
    "apply_pending_tracking_events",
    "apply_tracking_event",
    "apply_tracking_events",
    "cancel_abandoned_orders",
    "cancel_lines",
    "cancel_order",
    "clear_order_attention",
    "confirm_order",
    "detect_delays",
    "get_or_create_customer",
    "hold_order",
    "place_order",
    "record_tracking_event",
    "record_tracking_events",
    "release_order",
    "resume_pending_transactions",
    "settle_payments",
    "ship_shipment",
    "split_shipment",
]
