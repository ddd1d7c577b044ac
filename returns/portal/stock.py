"""What an exchange can swap a line for: the other active variants of its product in the
order's currency, with the units free to sell now (on hand minus allocated, summed over the
active warehouses). Two queries whatever the number of lines."""

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import F, Sum

from orders.models import Order, OrderLine, Stock, Variant


@dataclass(frozen=True)
class ExchangeOption:
    pk: int
    sku: str
    name: str
    price: Decimal
    currency: str
    available: int

    @property
    def is_available(self) -> bool:
        return self.available > 0

    product_name: str = ""

    @property
    def label(self) -> str:
        """What tells it apart: "Black / M" rather than "Organic tee / Black / M"."""
        prefix = f"{self.product_name} / "
        return self.name.removeprefix(prefix) if self.product_name else self.name


def exchange_options(order: Order, lines: list[OrderLine]) -> dict[int, list[ExchangeOption]]:
    """Order line id -> the variants it may be exchanged for, in catalogue order. `lines` with
    their variants loaded (the policy's decision has them)."""
    product_ids = {line.variant.product_id for line in lines}
    candidates = list(
        Variant.objects.filter(product_id__in=product_ids, is_active=True, currency=order.currency)
        .select_related("product")
        .order_by("product_id", "pk")
    )
    available = dict(
        Stock.objects.filter(variant__in=candidates, warehouse__is_active=True)
        .values("variant_id")
        .annotate(available=Sum(F("on_hand") - F("allocated")))
        .values_list("variant_id", "available")
    )
    return {
        line.pk: [
            ExchangeOption(
                pk=v.pk,
                sku=v.sku,
                name=v.name,
                price=v.price,
                currency=v.currency,
                available=max(available.get(v.pk) or 0, 0),
                product_name=v.product.name,
            )
            for v in candidates
            if v.product_id == line.variant.product_id and v.pk != line.variant_id
        ]
        for line in lines
    }
