"""Products often bought together: the co-occurrence model (ProductPair), rebuilt wholesale by a
periodic job from the order history, and the suggestions it gives for an order (in stock,
active, nothing the customer already bought), shown in the delivered email."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Exists, F, OuterRef, QuerySet
from django.utils import timezone

from feedback.models import ProductPair
from notifications.services.preferences import opt_out_reason
from orders.models import Order, OrderLine, Product, Stock

logger = logging.getLogger(__name__)

# Orders older than this no longer say what goes together.
HISTORY = timedelta(days=365)
# A pair seen in a single order is chance, not a pattern.
MIN_ORDERS_TOGETHER = 2
TOPIC = "recommendations"
# The emails that carry recommendations: the parcel arrived.
DELIVERED_EVENT = "shipment.delivered"

# Lift: how much more often the two are bought together than if they were independent,
# P(A and B) / (P(A) P(B)) = together * orders / (orders with A * orders with B).
# One statement, set-based, so the rebuild costs the same few scans whatever the history.
_REBUILD_SQL = """
WITH baskets AS (
    SELECT DISTINCT line.order_id AS order_id, variant.product_id AS product_id
    FROM {line} line
    JOIN {order} o ON o.id = line.order_id
    JOIN {variant} variant ON variant.id = line.variant_id
    WHERE o.created_at >= %(since)s
      AND o.status <> %(cancelled)s
      AND line.quantity > line.quantity_cancelled
),
totals AS (SELECT COUNT(DISTINCT order_id) AS orders FROM baskets),
singles AS (SELECT product_id, COUNT(*) AS orders FROM baskets GROUP BY product_id),
pairs AS (
    SELECT a.product_id AS product_id, b.product_id AS other_id, COUNT(*) AS together
    FROM baskets a
    JOIN baskets b ON b.order_id = a.order_id AND b.product_id <> a.product_id
    GROUP BY a.product_id, b.product_id
    HAVING COUNT(*) >= %(min_together)s
)
INSERT INTO {pair} (product_id, other_id, orders_together, score, computed_at)
SELECT pairs.product_id, pairs.other_id, pairs.together,
       (pairs.together * 1.0 * totals.orders) / (mine.orders * theirs.orders),
       %(now)s
FROM pairs
JOIN singles mine ON mine.product_id = pairs.product_id
JOIN singles theirs ON theirs.product_id = pairs.other_id
CROSS JOIN totals
"""


@transaction.atomic
def rebuild_product_pairs(
    *, now: datetime | None = None, min_orders_together: int = MIN_ORDERS_TOGETHER
) -> int:
    """Replace every ProductPair with the co-occurrences of the last year's orders (cancelled
    orders and cancelled lines left out); score = lift. Readers see the old pairs until the
    new ones commit; a second rebuild running at the same time waits for the first. Returns
    how many pairs were written."""
    now = now or timezone.now()
    table = ProductPair._meta.db_table
    if connection.vendor == "postgresql":
        # EXCLUSIVE lets readers through (plain SELECT) but not a concurrent rebuild.
        with connection.cursor() as cursor:
            cursor.execute(f'LOCK TABLE "{table}" IN EXCLUSIVE MODE')
    ProductPair.objects.all().delete()
    sql = _REBUILD_SQL.format(
        line=OrderLine._meta.db_table,
        order=Order._meta.db_table,
        variant=OrderLine._meta.get_field("variant").related_model._meta.db_table,
        pair=table,
    )
    with connection.cursor() as cursor:
        cursor.execute(
            sql,
            {
                "since": now - HISTORY,
                "cancelled": Order.Status.CANCELLED,
                "min_together": min_orders_together,
                "now": now,
            },
        )
    written = ProductPair.objects.count()  # SQLite reports no rowcount for WITH … INSERT
    logger.info("feedback.product_pairs_rebuilt", extra={"pairs": written})
    return written


def products_bought_by(customer_id: int) -> QuerySet:
    """The ids of every product the customer ever bought (lines not fully cancelled)."""
    return (
        OrderLine.objects.filter(order__customer_id=customer_id)
        .exclude(order__status=Order.Status.CANCELLED)
        .filter(quantity__gt=F("quantity_cancelled"))
        .values("variant__product_id")
    )


def recommend_for_order(order: Order, limit: int | None = None) -> list[Product]:
    """The products best paired with what the order holds, best first: active, in stock in
    some active warehouse (on hand beyond what is allocated, of an active variant), never bought
    by the customer. Each product carries `score`, its best pair's lift. One query."""
    limit = limit if limit is not None else settings.OMS_RECOMMENDATIONS_PER_EMAIL
    if limit <= 0:
        return []
    ordered = OrderLine.objects.filter(order_id=order.pk).values("variant__product_id")
    in_stock = Stock.objects.filter(
        variant__product_id=OuterRef("pk"),
        variant__is_active=True,
        warehouse__is_active=True,
        on_hand__gt=F("allocated"),
    )
    pairs = ProductPair.objects.filter(product_id__in=ordered, other_id=OuterRef("pk"))
    candidates = (
        Product.objects.filter(is_active=True)
        .filter(Exists(pairs))
        .filter(Exists(in_stock))
        .exclude(pk__in=products_bought_by(order.customer_id))
        .annotate(
            score=pairs.order_by("-score").values("score")[:1],
            together=pairs.order_by("-orders_together").values("orders_together")[:1],
        )
        .order_by("-score", "-together", "pk")
    )
    return list(candidates[:limit])


def storefront_url(path: str = "") -> str:
    """An absolute address on the storefront (OMS_STOREFRONT_URL, else this server)."""
    base = settings.OMS_STOREFRONT_URL or settings.OMS_PUBLIC_URL
    return base.rstrip("/") + "/" + path.lstrip("/")


def product_url(product: Product) -> str:
    return storefront_url(f"products/{product.slug}/")


def email_context(message) -> dict[str, Any]:
    """For notifications.rendering.register_context_provider: the delivered email suggests
    products bought together with the order's (computed at rendering, never in the payload),
    unless the address turned off the "recommendations" topic or nothing is in stock."""
    if message.event_type != DELIVERED_EVENT:
        return {}
    order_data = message.payload.get("order") or {}
    email = order_data.get("email") or ""
    if not email or opt_out_reason(email, TOPIC):
        return {}
    order = Order.objects.filter(number=order_data.get("number")).only("pk", "customer_id").first()
    if order is None:
        return {}
    products = recommend_for_order(order)
    return {
        "recommendations": [
            {"name": product.name, "url": product_url(product)} for product in products
        ]
    }
