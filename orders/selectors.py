"""Reads shared by the API, the console and services; locks live here too, one per aggregate,
always taken in the same order (order row first, then stock rows by id) so nothing deadlocks."""

from collections.abc import Iterable
from datetime import datetime

from django.db.models import OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce

from notifications import selectors as notification_selectors
from oms.exceptions import NotFound
from orders.models import (
    Allocation,
    Customer,
    Order,
    OrderEvent,
    Payment,
    PaymentTransaction,
    Product,
    Shipment,
    ShipmentLine,
    Stock,
    TrackingEvent,
    Variant,
    Warehouse,
)


def lock_order(order_id: int) -> Order:
    """The order row, locked FOR UPDATE: every change to an order takes this lock first."""
    return Order.objects.select_for_update().get(pk=order_id)


def lock_stock(stock_ids: Iterable[int]) -> list[Stock]:
    """Stock rows locked in id order, so concurrent orders never wait on each other in a cycle."""
    return list(Stock.objects.select_for_update().filter(pk__in=set(stock_ids)).order_by("pk"))


def lock_stock_for_variants(variant_ids: Iterable[int]) -> list[Stock]:
    """Every stock row of these variants in active warehouses, locked in id order."""
    return list(
        Stock.objects.select_for_update(of=("self",))
        .select_related("warehouse")
        .filter(variant_id__in=set(variant_ids), warehouse__is_active=True)
        .order_by("pk")
    )


def get_order(number: str) -> Order:
    try:
        return Order.objects.get(number=number)
    except Order.DoesNotExist:
        raise NotFound(f"Order {number} does not exist.", code="order_not_found") from None


def get_order_detail(number: str) -> Order:
    """One order with everything its detail page shows, in a fixed number of queries."""
    queryset = Order.objects.select_related("customer").prefetch_related(
        "lines",
        Prefetch(
            "payments",
            queryset=Payment.objects.prefetch_related(
                Prefetch("transactions", queryset=PaymentTransaction.objects.order_by("id"))
            ),
        ),
        Prefetch(
            "shipments",
            queryset=Shipment.objects.select_related("warehouse").prefetch_related(
                Prefetch(
                    "lines", queryset=ShipmentLine.objects.select_related("line").order_by("pk")
                ),
                Prefetch("tracking_events", queryset=TrackingEvent.objects.order_by("occurred_at")),
            ),
        ),
        Prefetch("events", queryset=OrderEvent.objects.order_by("created_at", "id")),
    )
    try:
        order = queryset.get(number=number)
    except Order.DoesNotExist:
        raise NotFound(f"Order {number} does not exist.", code="order_not_found") from None
    order.notifications_sent = list(notification_selectors.deliveries_for("order", number)[:100])
    return order


ORDER_SUMMARY_COLUMNS = (
    "id",
    "number",
    "status",
    "channel",
    "external_reference",
    "email",
    "currency",
    "total",
    "promised_delivery_date",
    "created_at",
    "updated_at",
)


def list_orders(
    *,
    status: str | None = None,
    channel: str | None = None,
    email: str | None = None,
    customer_id: int | None = None,
    created_after: datetime | None = None,
    created_before: datetime | None = None,
    warehouse: str | None = None,
    external_reference: str | None = None,
) -> QuerySet[Order]:
    """Orders matching the filters, with the columns a list row shows (not the addresses and
    notes a detail reads); every filter is served by an index (see Order.Meta)."""
    queryset = Order.objects.only(*ORDER_SUMMARY_COLUMNS)
    if status:
        queryset = queryset.filter(status=status)
    if channel:
        queryset = queryset.filter(channel=channel)
    if email:
        queryset = queryset.filter(email=email.strip().lower())
    if customer_id:
        queryset = queryset.filter(customer_id=customer_id)
    if created_after:
        queryset = queryset.filter(created_at__gte=created_after)
    if created_before:
        queryset = queryset.filter(created_at__lt=created_before)
    if external_reference:
        queryset = queryset.filter(external_reference=external_reference)
    if warehouse:
        warehouse_id = Warehouse.objects.filter(code=warehouse).values_list("pk", flat=True).first()
        if warehouse_id is None:
            return queryset.none()
        # Shipped from or allocated at the warehouse, as a scalar subquery per order: walking
        # the orders newest first, PostgreSQL probes each one's shipments by index and stops
        # at the page's end. EXISTS would be planned as a hash of every shipment the warehouse
        # ever made (400,000 at 1,000,000 orders: 1-4 s a page).
        queryset = queryset.alias(
            in_warehouse=Coalesce(
                Subquery(
                    Shipment.objects.filter(order=OuterRef("pk"), warehouse_id=warehouse_id)
                    .order_by()
                    .values("warehouse_id")[:1]
                ),
                Subquery(
                    Allocation.objects.filter(order=OuterRef("pk"), warehouse_id=warehouse_id)
                    .order_by()
                    .values("warehouse_id")[:1]
                ),
            )
        ).filter(in_warehouse__isnull=False)
    return queryset


def get_shipment(shipment_id: int) -> Shipment:
    try:
        return Shipment.objects.select_related("order", "warehouse").get(pk=shipment_id)
    except Shipment.DoesNotExist:
        raise NotFound(
            f"Shipment {shipment_id} does not exist.", code="shipment_not_found"
        ) from None


def get_shipment_detail(number: str) -> Shipment:
    queryset = Shipment.objects.select_related("order", "warehouse").prefetch_related(
        Prefetch("lines", queryset=ShipmentLine.objects.select_related("line").order_by("pk")),
        Prefetch("tracking_events", queryset=TrackingEvent.objects.order_by("occurred_at")),
    )
    try:
        return queryset.get(number=number)
    except Shipment.DoesNotExist:
        raise NotFound(f"Shipment {number} does not exist.", code="shipment_not_found") from None


def list_products(*, search: str | None = None, category: str | None = None) -> QuerySet[Product]:
    queryset = Product.objects.prefetch_related("variants")
    if search:
        queryset = queryset.filter(
            Q(name__icontains=search) | Q(variants__sku__iexact=search)
        ).distinct()
    if category:
        queryset = queryset.filter(category=category)
    return queryset


def get_variant(sku: str) -> Variant:
    """A SKU with its product and its stock per warehouse (one query each)."""
    queryset = Variant.objects.select_related("product").prefetch_related(
        Prefetch("stock", queryset=Stock.objects.select_related("warehouse", "variant"))
    )
    try:
        return queryset.get(sku=sku)
    except Variant.DoesNotExist:
        raise NotFound(f"SKU {sku} does not exist.", code="sku_not_found") from None


def get_product(product_id: int) -> Product:
    try:
        return list_products().get(pk=product_id)
    except Product.DoesNotExist:
        raise NotFound(f"Product {product_id} does not exist.", code="product_not_found") from None


def list_stock(*, sku: str | None = None, warehouse: str | None = None) -> QuerySet[Stock]:
    queryset = Stock.objects.select_related("variant", "warehouse")
    if sku:
        queryset = queryset.filter(variant__sku=sku)
    if warehouse:
        queryset = queryset.filter(warehouse__code=warehouse)
    return queryset


def search_customers(query: str) -> QuerySet[Customer]:
    """Customers by exact email or phone, or by name fragment."""
    query = query.strip()
    queryset = Customer.objects.all()
    if not query:
        return queryset
    if "@" in query:
        return queryset.filter(email__iexact=query)
    digits = "".join(ch for ch in query if ch.isdigit())
    if digits and len(digits) >= 6 and len(digits) >= len(query.replace(" ", "")) - 3:
        return queryset.filter(phone__contains=digits)
    return queryset.filter(name__icontains=query)


def get_customer(customer_id: int) -> Customer:
    try:
        return Customer.objects.prefetch_related("addresses").get(pk=customer_id)
    except Customer.DoesNotExist:
        raise NotFound(
            f"Customer {customer_id} does not exist.", code="customer_not_found"
        ) from None


def get_order_for_tracking(number: str) -> Order:
    """What the customer's tracking page shows: lines, shipments and their scans."""
    queryset = Order.objects.prefetch_related(
        "lines",
        Prefetch(
            "shipments",
            queryset=Shipment.objects.exclude(status=Shipment.Status.CANCELLED)
            .select_related("warehouse")
            .prefetch_related(
                "lines__line",
                Prefetch(
                    "tracking_events", queryset=TrackingEvent.objects.order_by("-occurred_at")
                ),
            ),
        ),
    )
    try:
        return queryset.get(number=number)
    except Order.DoesNotExist:
        raise NotFound(f"Order {number} does not exist.", code="order_not_found") from None
