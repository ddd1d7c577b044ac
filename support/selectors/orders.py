"""The console's order page: one order with everything a rep needs at a glance, read in a fixed
number of queries whatever the number of lines, payments, shipments, scans or events; and which
actions the page offers for the order's state and the rep's permissions."""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db.models import Prefetch, Q
from django.utils import timezone

from notifications.models import Delivery
from oms.exceptions import NotFound
from orders import money, pricing
from orders.models import (
    Order,
    OrderAdjustment,
    OrderEvent,
    OrderLine,
    Payment,
    PaymentTransaction,
    Shipment,
    ShipmentLine,
    TrackingEvent,
)
from orders.models.orders import UNSHIPPED_STATUSES
from returns.models import ReturnRequest
from support.models import ApprovalRequest, Case
from support.selectors.cases import cases_for_order
from support.selectors.returns import returns_for_order

NOTIFICATIONS_SHOWN = 50
RELATED_SHOWN = 20
# Statuses in which single lines may still be cancelled (orders.services.lifecycle.cancel_lines).
LINES_CANCELLABLE = UNSHIPPED_STATUSES | {
    Order.Status.PARTIALLY_SHIPPED,
    Order.Status.PARTIALLY_DELIVERED,
}


@dataclass
class LineRow:
    line: OrderLine
    units: int  # ordered minus cancelled
    unit_price: Decimal
    discount: Decimal  # the share of the line discount for `units`
    total: Decimal
    can_cancel: bool


@dataclass
class ShipmentRow:
    shipment: Shipment
    items: list[tuple[OrderLine, int]]
    scans: list[TrackingEvent]  # newest first
    is_late: bool
    days_late: int


@dataclass
class Totals:
    subtotal: Decimal
    line_discounts: Decimal
    order_discount: Decimal
    shipping: Decimal
    total: Decimal
    authorized: Decimal
    captured: Decimal
    refunded: Decimal

    @property
    def net_paid(self) -> Decimal:
        return self.captured - self.refunded


@dataclass
class ConsoleOrder:
    order: Order
    lines: list[LineRow]
    totals: Totals
    payments: list[Payment]
    shipments: list[ShipmentRow]
    adjustments: list[OrderAdjustment]
    approvals: list[ApprovalRequest]
    timeline: list[OrderEvent]  # newest first
    notifications: list[Delivery]
    cases: list[Case]
    follow_ups: list[Order]
    actions: dict[str, bool] = field(default_factory=dict)
    returns: list[ReturnRequest] = field(default_factory=list)  # newest first

    @property
    def pending_approvals(self) -> list[ApprovalRequest]:
        return [a for a in self.approvals if a.status == ApprovalRequest.Status.PENDING]

    @property
    def has_late_shipment(self) -> bool:
        return any(row.is_late for row in self.shipments)


def _is_late(shipment: Shipment, today: date) -> tuple[bool, int]:
    """Late when the carrier's estimate or the delivery is past the promised date, or the
    promised date passed without delivery."""
    promised = shipment.promised_delivery_date
    if promised is None or shipment.status == Shipment.Status.CANCELLED:
        return False, 0
    if shipment.delivered_at is not None:
        actual = timezone.localtime(shipment.delivered_at).date()
    else:
        actual = max(filter(None, [shipment.estimated_delivery_date, today]))
    days = (actual - promised).days
    return days > 0, max(days, 0)


def _line_rows(order: Order, lines: list[OrderLine]) -> list[LineRow]:
    cancellable = order.status in LINES_CANCELLABLE
    rows = []
    for line in lines:
        units = line.quantity - line.quantity_cancelled
        discount = pricing.line_discount(line, units, order.currency) if units else Decimal(0)
        rows.append(
            LineRow(
                line=line,
                units=units,
                unit_price=money.quantize(line.unit_price, order.currency),
                discount=money.quantize(discount, order.currency),
                total=pricing.line_amount(line, units, order.currency)
                if units
                else money.zero(order.currency),
                can_cancel=cancellable and line.quantity_unshipped > 0,
            )
        )
    return rows


def _totals(order: Order, rows: list[LineRow], payments: list[Payment]) -> Totals:
    currency = order.currency
    line_discounts = sum((row.discount for row in rows), money.zero(currency))
    return Totals(
        subtotal=money.quantize(order.subtotal, currency),
        line_discounts=line_discounts,
        order_discount=money.quantize(order.discount_total, currency) - line_discounts,
        shipping=money.quantize(order.shipping_total, currency),
        total=money.quantize(order.total, currency),
        authorized=money.quantize(
            sum((p.amount_authorized for p in payments if not p.is_voided), Decimal(0)), currency
        ),
        captured=money.quantize(sum((p.amount_captured for p in payments), Decimal(0)), currency),
        refunded=money.quantize(sum((p.amount_refunded for p in payments), Decimal(0)), currency),
    )


def _messages_about(order: Order):
    """Messages sent about the order and about its returns (issue 5: a return's emails are
    about the return), newest first; live pushes and webhooks excluded."""
    return (
        Delivery.objects.filter(
            Q(aggregate_type="order", aggregate_id=order.number)
            | Q(
                aggregate_type="return",
                aggregate_id__in=ReturnRequest.objects.filter(order=order).values("rma"),
            )
        )
        .exclude(channel__in=[Delivery.Channel.LIVE, Delivery.Channel.WEBHOOK])
        .order_by("-created_at", "-pk")
    )


def order_actions(order: Order, lines: list[LineRow], can: Callable[[str], bool]) -> dict:
    """Which action buttons the order page shows: the rep has the permission AND the order's
    state allows it. The server checks both again when the action is taken."""
    status = order.status
    acts = can("act_on_orders")
    adjusts = can("adjust_prices")
    anything_shipped = any(row.line.quantity_shipped for row in lines)
    return {
        "cancel": acts and order.can_transition_to(Order.Status.CANCELLED),
        "cancel_lines": acts and any(row.can_cancel for row in lines),
        "hold": acts and order.can_transition_to(Order.Status.ON_HOLD),
        "release": acts and status == Order.Status.ON_HOLD,
        "edit": acts and status in UNSHIPPED_STATUSES,
        "adjust": adjusts and status != Order.Status.CANCELLED,
        "goodwill": adjusts,  # a cancelled order can still deserve goodwill
        "reship": can("reship") and anything_shipped,
        "resend": acts,
        "clear_attention": acts and order.needs_attention,
        # Returns: the policy says which lines, the panel shows it (issue 5).
        "create_return": acts and anything_shipped,
        "open_case": True,
    }


def get_console_order(
    number: str, *, can: Callable[[str], bool] | None = None, today: date | None = None
) -> ConsoleOrder:
    """The order page's data in fourteen queries, however many lines, payments, shipments,
    scans, events, adjustments, approvals, cases, returns or messages the order has."""
    queryset = Order.objects.select_related("customer", "original_order").prefetch_related(
        Prefetch("lines", queryset=OrderLine.objects.order_by("line_number")),
        Prefetch(
            "payments",
            queryset=Payment.objects.order_by("id").prefetch_related(
                Prefetch("transactions", queryset=PaymentTransaction.objects.order_by("id"))
            ),
        ),
        Prefetch(
            "shipments",
            queryset=Shipment.objects.select_related("warehouse")
            .order_by("id")
            .prefetch_related(
                Prefetch("lines", queryset=ShipmentLine.objects.order_by("id")),
                Prefetch(
                    "tracking_events",
                    queryset=TrackingEvent.objects.order_by("-occurred_at", "-id"),
                ),
            ),
        ),
        Prefetch("events", queryset=OrderEvent.objects.order_by("-created_at", "-id")),
        Prefetch("adjustments", queryset=OrderAdjustment.objects.order_by("-created_at", "-id")),
        Prefetch(
            "follow_up_orders",
            queryset=Order.objects.only(
                "id", "number", "status", "channel", "created_at", "original_order_id"
            ).order_by("id"),
        ),
    )
    try:
        order = queryset.get(number=number)
    except Order.DoesNotExist:
        raise NotFound(f"Order {number} does not exist.", code="order_not_found") from None

    today = today or timezone.localdate()
    lines = list(order.lines.all())
    by_id = {line.pk: line for line in lines}
    rows = _line_rows(order, lines)
    payments = list(order.payments.all())
    shipments = []
    for shipment in order.shipments.all():
        is_late, days_late = _is_late(shipment, today)
        shipments.append(
            ShipmentRow(
                shipment=shipment,
                items=[(by_id[item.line_id], item.quantity) for item in shipment.lines.all()],
                scans=list(shipment.tracking_events.all()),
                is_late=is_late,
                days_late=days_late,
            )
        )
    adjustments = list(order.adjustments.all())
    for adjustment in adjustments:
        adjustment.order_line = by_id.get(adjustment.line_id)
    approvals = list(
        ApprovalRequest.objects.filter(order=order)
        .select_related("requested_by", "decided_by")
        .order_by("-requested_at", "-id")[:RELATED_SHOWN]
    )
    result = ConsoleOrder(
        order=order,
        lines=rows,
        totals=_totals(order, rows, payments),
        payments=payments,
        shipments=shipments,
        adjustments=adjustments,
        approvals=approvals,
        timeline=list(order.events.all()),
        notifications=list(_messages_about(order)[:NOTIFICATIONS_SHOWN]),
        cases=cases_for_order(order, limit=RELATED_SHOWN),
        follow_ups=list(order.follow_up_orders.all()),
    )
    result.returns = returns_for_order(order)
    result.actions = order_actions(order, rows, can or (lambda permission: False))
    return result
