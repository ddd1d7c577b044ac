"""The demo orders cases are about, read in a few queries, and the situation each order is in."""

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Exists, OuterRef

from orders.models import Order, OrderEvent, Shipment
from support.models import Case


@dataclass
class OrderFacts:
    """An order as the demo reads it: its row, its shipments, its cancellation by an agent."""

    order: dict
    shipments: list[dict]
    cancelled: dict | None = None

    def situation(self, now: datetime) -> str:
        status = self.order["status"]
        if status == Order.Status.CANCELLED:
            return "cancelled"
        if status == Order.Status.PENDING_PAYMENT:
            return "pending_payment"
        if status == Order.Status.ON_HOLD:
            return "held"
        if any(s["status"] == Shipment.Status.EXCEPTION for s in self.shipments):
            return "exception"
        travelling = [s for s in self.shipments if s["shipped_at"] and not s["delivered_at"]]
        if any(
            s["estimated_delivery_date"] and s["estimated_delivery_date"] < now.date()
            for s in travelling
        ):
            return "late"
        if travelling:
            return "in_transit"
        if any(s["delivered_at"] for s in self.shipments):
            return "delivered"
        return "unshipped"


def order_facts(exclude_with_cases: bool) -> list[OrderFacts]:
    """Every order (or those without a case yet) with its shipments and a staff cancellation."""
    orders = Order.objects.order_by("pk")
    if exclude_with_cases:
        orders = orders.filter(~Exists(Case.objects.filter(order=OuterRef("pk"))))
    by_id = {
        row["pk"]: OrderFacts(order=row, shipments=[])
        for row in orders.values("pk", "number", "customer_id", "status", "created_at")
    }
    for row in (
        Shipment.objects.filter(order_id__in=list(by_id))
        .order_by("pk")
        .values(
            "pk",
            "order_id",
            "number",
            "status",
            "shipped_at",
            "delivered_at",
            "estimated_delivery_date",
        )
    ):
        by_id[row["order_id"]].shipments.append(row)
    for row in OrderEvent.objects.filter(
        order_id__in=list(by_id), type=OrderEvent.Type.CANCELLED, actor_kind="staff"
    ).values("order_id", "created_at", "reason", "actor_user_id", "actor_label"):
        by_id[row["order_id"]].cancelled = row
    return list(by_id.values())
