"""Products and their sellable variants (SKUs)."""

from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from orders.money import CURRENCIES, money_field_kwargs


class Product(models.Model):
    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(max_length=200, unique=True)
    category = models.CharField(_("category"), max_length=100, blank=True, db_index=True)
    description = models.TextField(_("description"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("product")
        verbose_name_plural = _("products")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Variant(models.Model):
    """A sellable SKU: one size/colour of a product, with its own price and weight."""

    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="variants")
    sku = models.CharField(_("SKU"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=200)
    price = models.DecimalField(
        _("price"), validators=[MinValueValidator(0)], **money_field_kwargs()
    )
    currency = models.CharField(_("currency"), max_length=3, choices=[(c, c) for c in CURRENCIES])
    weight_grams = models.PositiveIntegerField(_("weight (g)"), default=0)
    is_final_sale = models.BooleanField(_("final sale"), default=False)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("variant")
        verbose_name_plural = _("variants")
        constraints = [
            models.CheckConstraint(condition=models.Q(price__gte=0), name="variant_price_gte_0")
        ]

    def __str__(self) -> str:
        return f"{self.sku} · {self.name}"
