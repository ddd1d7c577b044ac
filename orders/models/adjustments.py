"""Discretionary adjustments a CSR made to an order: price adjustments on a line or the whole
order, and goodwill credits (given as store credit; they do not change the order's totals)."""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from oms.actors import ActorFields
from orders.money import money_field_kwargs


class AdjustmentKind(models.TextChoices):
    PRICE_ADJUSTMENT = "price_adjustment", _("Price adjustment")
    GOODWILL_CREDIT = "goodwill_credit", _("Goodwill credit")
    SHIPPING_REFUND = "shipping_refund", _("Shipping fee waiver")


class AdjustmentReason(models.TextChoices):
    """Why money was given back: the reason codes CX leads report on."""

    PRICE_MATCH = "price_match", _("Price match")
    DAMAGED = "damaged", _("Damaged item")
    LATE_DELIVERY = "late_delivery", _("Late delivery")
    SERVICE_RECOVERY = "service_recovery", _("Service recovery")
    MISSED_PROMOTION = "missed_promotion", _("Missed promotion")
    LOYALTY = "loyalty", _("Loyal customer")
    OTHER = "other", _("Other")


class OrderAdjustment(ActorFields):
    """One adjustment as applied (who applied it, and who approved it when it needed approval).

    A price adjustment on a line adds to that line's discount; one on the order adds to the
    order's `order_discount`. Either way orders.pricing derives the totals."""

    Kind = AdjustmentKind
    Reason = AdjustmentReason

    order = models.ForeignKey("orders.Order", on_delete=models.CASCADE, related_name="adjustments")
    line = models.ForeignKey(
        "orders.OrderLine", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    kind = models.CharField(_("kind"), max_length=24, choices=AdjustmentKind.choices)
    amount = models.DecimalField(_("amount"), **money_field_kwargs())
    # Set when the rep asked for a percentage; `amount` is what it came to.
    percentage = models.DecimalField(
        _("percentage"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    reason_code = models.CharField(_("reason"), max_length=24, choices=AdjustmentReason.choices)
    note = models.TextField(_("note"))
    approved_by_label = models.CharField(_("approved by"), max_length=150, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("order adjustment")
        verbose_name_plural = _("order adjustments")
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="orderadjustment_amount_gt_0"),
            models.CheckConstraint(
                condition=Q(kind__in=AdjustmentKind.values), name="orderadjustment_kind_valid"
            ),
        ]
        indexes = [
            models.Index(fields=["order", "kind"], name="orderadjustment_order_idx"),
            # Insights: cost to serve over a period.
            models.Index(fields=["created_at"], name="orderadjustment_created_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.amount} on {self.order_id}"
