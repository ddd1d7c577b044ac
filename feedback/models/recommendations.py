"""What is suggested after a purchase: products often bought together (a co-occurrence model
rebuilt by a periodic job) and reminders to reorder consumables."""

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _


class ProductPair(models.Model):
    """How often `product` and `other` were bought in the same order, and the resulting score
    (rebuilt wholesale by feedback.services.recommendations; one row per ordered pair)."""

    product = models.ForeignKey("orders.Product", on_delete=models.CASCADE, related_name="+")
    other = models.ForeignKey("orders.Product", on_delete=models.CASCADE, related_name="+")
    orders_together = models.PositiveIntegerField()
    score = models.FloatField()  # e.g. lift or a normalised co-occurrence; higher is better
    computed_at = models.DateTimeField()

    class Meta:
        verbose_name = _("product pair")
        verbose_name_plural = _("product pairs")
        constraints = [
            models.UniqueConstraint(fields=["product", "other"], name="productpair_unique"),
            models.CheckConstraint(condition=~Q(product=F("other")), name="productpair_distinct"),
        ]
        indexes = [models.Index(fields=["product", "-score"], name="productpair_best_idx")]


class ConsumableProduct(models.Model):
    """A product customers run out of and reorder (admin). The reminder goes out after
    `reorder_interval_days` per unit bought, or, when blank, after the interval its buyers
    usually reorder at (median of observed reorder gaps), computed by the periodic job."""

    product = models.OneToOneField(
        "orders.Product", on_delete=models.CASCADE, related_name="+", verbose_name=_("product")
    )
    reorder_interval_days = models.PositiveSmallIntegerField(
        _("reorder interval (days)"), null=True, blank=True
    )
    observed_interval_days = models.PositiveSmallIntegerField(
        _("usual reorder interval (days)"), null=True, blank=True, editable=False
    )
    is_active = models.BooleanField(_("send reminders"), default=True)

    class Meta:
        verbose_name = _("consumable product")
        verbose_name_plural = _("consumable products")

    def __str__(self) -> str:
        return str(self.product_id)


class ReplenishmentReminder(models.Model):
    """One reminder per order line of a consumable: due when the units bought should run out.
    Cancelled (not sent) when the customer reordered the product in the meantime."""

    class Status(models.TextChoices):
        SCHEDULED = "scheduled", _("Scheduled")
        SENT = "sent", _("Sent")
        SKIPPED = "skipped", _("Not sent")

    line = models.OneToOneField("orders.OrderLine", on_delete=models.CASCADE, related_name="+")
    customer = models.ForeignKey("orders.Customer", on_delete=models.CASCADE, related_name="+")
    product = models.ForeignKey("orders.Product", on_delete=models.CASCADE, related_name="+")
    due_at = models.DateTimeField(_("due"))
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.SCHEDULED
    )
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    skip_reason = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("replenishment reminder")
        verbose_name_plural = _("replenishment reminders")
        indexes = [
            models.Index(
                fields=["due_at"], condition=Q(status="scheduled"), name="replenish_due_idx"
            ),
            models.Index(fields=["customer", "product"], name="replenish_customer_idx"),
        ]
