"""The return policy, as data the admin edits: the window, per-product and per-category
overrides, and per-reason rules. `returns.policy` evaluates it; nothing else decides what is
returnable. Statutory withdrawal rights are law, not settings: see returns/policy/statutory.py."""

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from orders.money import money_field_kwargs

PERCENT = {
    "max_digits": 5,
    "decimal_places": 2,
    "validators": [MinValueValidator(0), MaxValueValidator(100)],
}


class ReturnReason(models.TextChoices):
    SIZE_TOO_SMALL = "size_too_small", _("Size too small")
    SIZE_TOO_LARGE = "size_too_large", _("Size too large")
    NOT_AS_DESCRIBED = "not_as_described", _("Not as described")
    DAMAGED = "damaged", _("Arrived damaged")
    DEFECTIVE = "defective", _("Defective")
    WRONG_ITEM = "wrong_item", _("Wrong item sent")
    NO_LONGER_WANTED = "no_longer_wanted", _("No longer wanted")
    ARRIVED_LATE = "arrived_late", _("Arrived too late")
    OTHER = "other", _("Other")
    # A statutory withdrawal needs no reason; its lines carry this one.
    WITHDRAWAL = "withdrawal", _("Right of withdrawal")


class Resolution(models.TextChoices):
    REFUND = "refund", _("Refund to the original payment")
    STORE_CREDIT = "store_credit", _("Store credit")
    EXCHANGE = "exchange", _("Exchange for another variant")


class RefundRelease(models.TextChoices):
    """When the money goes back: the policy's trust in the parcel."""

    FIRST_SCAN = "first_scan", _("On the carrier's first scan")
    RECEIPT = "receipt", _("On receipt at the warehouse")
    INSPECTION = "inspection", _("After inspection")


class ShippingPayer(models.TextChoices):
    CUSTOMER = "customer", _("The customer")
    STORE = "store", _("The store")


class ReturnPolicy(models.Model):
    """The store's return policy. One is active at a time (a partial unique index); editing it
    changes future decisions, never returns already requested (they keep their figures)."""

    name = models.CharField(_("name"), max_length=100)
    is_active = models.BooleanField(_("active"), default=True)
    window_days = models.PositiveSmallIntegerField(
        _("return window (days from delivery)"), default=30
    )
    offers_refund = models.BooleanField(_("offer refunds"), default=True)
    offers_store_credit = models.BooleanField(_("offer store credit"), default=True)
    offers_exchange = models.BooleanField(_("offer exchanges"), default=True)
    offers_instant_exchange = models.BooleanField(_("offer instant exchanges"), default=True)
    store_credit_bonus_percent = models.DecimalField(
        _("store credit bonus (%)"), default=0, **PERCENT
    )
    refund_release = models.CharField(
        _("refund released"),
        max_length=16,
        choices=RefundRelease.choices,
        default=RefundRelease.RECEIPT,
    )
    # Return shipping charged to the customer when a reason's rule says the customer pays.
    return_shipping_fee = models.DecimalField(
        _("return shipping fee"), default=0, **money_field_kwargs()
    )
    # A requested return with no carrier scan after this many days expires.
    ship_within_days = models.PositiveSmallIntegerField(_("ship within (days)"), default=14)
    # Where returns go when the shipping warehouse does not take returns; blank: the warehouse
    # that shipped the line.
    return_warehouse = models.ForeignKey(
        "orders.Warehouse",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("return warehouse"),
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("return policy")
        verbose_name_plural = _("return policies")
        constraints = [
            models.UniqueConstraint(
                fields=["is_active"], condition=Q(is_active=True), name="returnpolicy_one_active"
            )
        ]

    def __str__(self) -> str:
        return self.name


class ReturnWindowOverride(models.Model):
    """A different window for one product or one category (0 days: not returnable)."""

    policy = models.ForeignKey(ReturnPolicy, on_delete=models.CASCADE, related_name="overrides")
    product = models.ForeignKey(
        "orders.Product", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    category = models.CharField(_("category"), max_length=100, blank=True)
    window_days = models.PositiveSmallIntegerField(_("return window (days)"))

    class Meta:
        verbose_name = _("return window override")
        verbose_name_plural = _("return window overrides")
        constraints = [
            models.CheckConstraint(
                condition=(Q(product__isnull=False) & Q(category=""))
                | (Q(product__isnull=True) & ~Q(category="")),
                name="returnwindow_product_xor_category",
            ),
            models.UniqueConstraint(
                fields=["policy", "product"],
                condition=Q(product__isnull=False),
                name="returnwindow_one_per_product",
            ),
            models.UniqueConstraint(
                fields=["policy", "category"],
                condition=~Q(category=""),
                name="returnwindow_one_per_category",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.product or self.category}: {self.window_days}"


class ReturnReasonRule(models.Model):
    """What one return reason implies. A reason without a rule is allowed with the defaults."""

    policy = models.ForeignKey(ReturnPolicy, on_delete=models.CASCADE, related_name="reason_rules")
    reason = models.CharField(_("reason"), max_length=24, choices=ReturnReason.choices)
    is_enabled = models.BooleanField(_("customers may choose it"), default=True)
    requires_photo = models.BooleanField(_("photo required"), default=False)
    return_shipping_paid_by = models.CharField(
        _("return shipping paid by"),
        max_length=16,
        choices=ShippingPayer.choices,
        default=ShippingPayer.STORE,
    )
    restocking_fee_percent = models.DecimalField(_("restocking fee (%)"), default=0, **PERCENT)
    # Refund without return ("keep it") for lines worth at most this much; 0: never.
    keep_it_max_amount = models.DecimalField(
        _("keep it up to (amount)"), default=0, **money_field_kwargs()
    )
    # Above the customer's own say-so: a rep reviews the request before it is approved.
    requires_review = models.BooleanField(_("needs review"), default=False)

    class Meta:
        verbose_name = _("return reason rule")
        verbose_name_plural = _("return reason rules")
        constraints = [
            models.UniqueConstraint(fields=["policy", "reason"], name="returnreasonrule_unique")
        ]

    def __str__(self) -> str:
        return self.get_reason_display()
