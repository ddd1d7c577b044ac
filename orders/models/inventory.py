"""Warehouses (distribution centres), stock per warehouse and SKU, and the stock audit trail."""

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from oms.actors import ActorFields


class Warehouse(models.Model):
    code = models.CharField(_("code"), max_length=16, unique=True)
    name = models.CharField(_("name"), max_length=100)
    country = models.CharField(_("country"), max_length=2, default="US")
    region = models.CharField(_("region/state"), max_length=64)
    city = models.CharField(_("city"), max_length=100, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=16, blank=True)
    # Lower runs first when several warehouses could serve an order equally well.
    priority = models.PositiveSmallIntegerField(_("priority"), default=100)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("warehouse")
        verbose_name_plural = _("warehouses")
        ordering = ["priority", "code"]

    def __str__(self) -> str:
        return f"{self.code} · {self.name}"


class Stock(models.Model):
    """Units of one SKU in one warehouse. `allocated` units are promised to open orders."""

    warehouse = models.ForeignKey(Warehouse, on_delete=models.PROTECT, related_name="stock")
    variant = models.ForeignKey("orders.Variant", on_delete=models.PROTECT, related_name="stock")
    on_hand = models.IntegerField(_("on hand"), default=0)
    allocated = models.IntegerField(_("allocated"), default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("stock")
        verbose_name_plural = _("stock")
        constraints = [
            models.UniqueConstraint(
                fields=["variant", "warehouse"], name="stock_variant_warehouse"
            ),
            models.CheckConstraint(
                condition=Q(allocated__gte=0) & Q(allocated__lte=F("on_hand")),
                name="stock_allocated_between_0_and_on_hand",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.variant_id}@{self.warehouse_id}: {self.on_hand}/{self.allocated}"

    @property
    def available(self) -> int:
        return self.on_hand - self.allocated


class StockMovement(ActorFields):
    """Every change to a stock row, with its reason: the audit trail of inventory."""

    class Kind(models.TextChoices):
        ADJUSTMENT = "adjustment", _("Adjustment")
        ALLOCATION = "allocation", _("Allocation")
        RELEASE = "release", _("Release")
        SHIPMENT = "shipment", _("Shipment")

    stock = models.ForeignKey(Stock, on_delete=models.PROTECT, related_name="movements")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    on_hand_delta = models.IntegerField(default=0)
    allocated_delta = models.IntegerField(default=0)
    on_hand_after = models.IntegerField()
    allocated_after = models.IntegerField()
    reason = models.CharField(max_length=255, blank=True)
    order = models.ForeignKey(
        "orders.Order", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("stock movement")
        verbose_name_plural = _("stock movements")
        indexes = [models.Index(fields=["stock", "-created_at"], name="stockmove_stock_idx")]
