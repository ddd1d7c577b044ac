"""Payments and their ledger of gateway transactions (authorize, capture, refund, void)."""

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from oms.actors import ActorFields
from orders.money import money_field_kwargs


class Payment(models.Model):
    class Status(models.TextChoices):
        AUTHORIZED = "authorized", _("Authorized")
        PARTIALLY_CAPTURED = "partially_captured", _("Partially captured")
        CAPTURED = "captured", _("Captured")
        PARTIALLY_REFUNDED = "partially_refunded", _("Partially refunded")
        REFUNDED = "refunded", _("Refunded")
        VOIDED = "voided", _("Voided")
        FAILED = "failed", _("Failed")

    order = models.ForeignKey("orders.Order", on_delete=models.CASCADE, related_name="payments")
    gateway = models.CharField(max_length=32)
    method_label = models.CharField(_("method"), max_length=64)  # e.g. "Visa •••• 4242"
    reference = models.CharField(_("gateway reference"), max_length=64, blank=True)
    currency = models.CharField(max_length=3)
    status = models.CharField(max_length=20, choices=Status.choices)
    # Cached sums of the ledger below; the CHECKs make over-capture and over-refund impossible.
    amount_authorized = models.DecimalField(default=0, **money_field_kwargs())
    amount_captured = models.DecimalField(default=0, **money_field_kwargs())
    amount_refunded = models.DecimalField(default=0, **money_field_kwargs())
    is_voided = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        constraints = [
            models.CheckConstraint(
                condition=Q(amount_captured__lte=F("amount_authorized")),
                name="payment_captured_lte_authorized",
            ),
            models.CheckConstraint(
                condition=Q(amount_refunded__lte=F("amount_captured")),
                name="payment_refunded_lte_captured",
            ),
            models.CheckConstraint(
                condition=Q(amount_refunded__gte=0) & Q(amount_captured__gte=0),
                name="payment_amounts_gte_0",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.method_label} {self.amount_authorized} {self.currency}"

    @property
    def capturable(self):
        return 0 if self.is_voided else self.amount_authorized - self.amount_captured

    @property
    def refundable(self):
        return self.amount_captured - self.amount_refunded


class PaymentTransaction(ActorFields):
    """One call to the gateway and its outcome: the payment's ledger."""

    class Kind(models.TextChoices):
        AUTHORIZE = "authorize", _("Authorize")
        CAPTURE = "capture", _("Capture")
        REFUND = "refund", _("Refund")
        VOID = "void", _("Void")

    payment = models.ForeignKey(Payment, on_delete=models.CASCADE, related_name="transactions")
    kind = models.CharField(max_length=16, choices=Kind.choices)

    class Status(models.TextChoices):
        # Pending: reserved under the payment's lock, the gateway call not yet answered. Pending
        # captures and refunds count against what may still be captured or refunded.
        PENDING = "pending", _("Pending")
        SUCCEEDED = "succeeded", _("Succeeded")
        FAILED = "failed", _("Failed")

    amount = models.DecimalField(**money_field_kwargs())
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    gateway_reference = models.CharField(max_length=64, blank=True)
    error_code = models.CharField(max_length=64, blank=True)
    error_message = models.CharField(max_length=255, blank=True)
    # Sent to the gateway so a retried call is executed once; unique here for the same reason.
    idempotency_key = models.CharField(max_length=128, unique=True)
    reason = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("payment transaction")
        verbose_name_plural = _("payment transactions")
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["payment", "kind", "status"], name="paytxn_payment_idx")]
