"""Reads of the assisted-order screen: customers and SKUs found as the rep types (bounded, a
fixed number of queries), and live availability per warehouse."""

from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Prefetch, Q
from django.db.models.functions import Lower

from orders.models import Address, Customer, SavedPaymentMethod, Stock, Variant

MIN_LENGTH = 2
CUSTOMER_LIMIT = 8
SKU_LIMIT = 12


@dataclass(frozen=True)
class WarehouseStock:
    code: str
    name: str
    available: int


@dataclass
class SkuRow:
    variant: Variant
    stock: list[WarehouseStock] = field(default_factory=list)

    @property
    def sku(self) -> str:
        return self.variant.sku

    @property
    def price(self) -> Decimal:
        return self.variant.price

    @property
    def available(self) -> int:
        return sum(row.available for row in self.stock)


def search_customers(query: str, *, limit: int = CUSTOMER_LIMIT) -> list[Customer]:
    """Customers whose email starts with `query`, or whose name or phone contains it; one
    query with a LIMIT."""
    query = " ".join(query.split())[:100]
    if len(query) < MIN_LENGTH:
        return []
    condition = Q(email_lower__startswith=query.lower()) | Q(name__icontains=query)
    digits = "".join(ch for ch in query if ch.isdigit())
    if len(digits) >= 4 and len(digits) >= len(query.replace(" ", "")) - 2:
        # Stored in E.164 (+1…, +55…); reps type the national number, or part of it.
        condition |= Q(phone__contains=digits)
    return list(
        Customer.objects.annotate(email_lower=Lower("email"))
        .filter(condition)
        .order_by("name", "pk")[:limit]
    )


def get_customer_for_placement(customer_id: int) -> Customer | None:
    """The customer with their saved addresses and payment methods (three queries)."""
    return (
        Customer.objects.prefetch_related(
            Prefetch("addresses", queryset=Address.objects.order_by("-is_default", "pk")),
            Prefetch(
                "saved_payment_methods",
                queryset=SavedPaymentMethod.objects.order_by("-is_default", "pk"),
            ),
        )
        .filter(pk=customer_id)
        .first()
    )


def _with_stock(variants: list[Variant]) -> list[SkuRow]:
    """Each variant with what its active warehouses can still promise (on hand - allocated)."""
    rows = {variant.pk: SkuRow(variant) for variant in variants}
    stocks = (
        Stock.objects.filter(variant__in=rows, warehouse__is_active=True)
        .select_related("warehouse")
        .order_by("warehouse__priority", "warehouse__code")
    )
    for stock in stocks:
        rows[stock.variant_id].stock.append(
            WarehouseStock(
                stock.warehouse.code, stock.warehouse.name, max(0, stock.on_hand - stock.allocated)
            )
        )
    return [rows[variant.pk] for variant in variants]


def search_skus(query: str, *, currency: str, limit: int = SKU_LIMIT) -> list[SkuRow]:
    """Active SKUs priced in `currency` whose SKU or name starts with `query`, with live stock
    per warehouse; two queries."""
    query = query.strip()[:64]
    if len(query) < MIN_LENGTH:
        return []
    variants = list(
        Variant.objects.filter(is_active=True, product__is_active=True, currency=currency)
        .filter(Q(sku__istartswith=query) | Q(name__istartswith=query))
        .order_by("sku")[:limit]
    )
    return _with_stock(variants)


def skus_with_stock(skus: list[str]) -> dict[str, SkuRow]:
    """The named SKUs (any currency, active or not: the caller reports why one cannot be sold)
    with live stock; two queries."""
    variants = list(Variant.objects.filter(sku__in=set(skus)).order_by("sku"))
    return {row.sku: row for row in _with_stock(variants)}
