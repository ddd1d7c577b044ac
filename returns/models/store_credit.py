"""Store credit: a ledger per customer and currency (credits given as
goodwill, refunds taken as credit, and debits when it pays for an order)."""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from oms.actors import ActorFields
from orders.money import CURRENCIES, money_field_kwargs


class StoreCreditEntry(ActorFields):
    """One movement of a customer's store credit. The balance is the sum of `amount` (credits
    positive, debits negative) per currency; debits lock the customer row so it never goes
    below zero (returns.services.store_credit)."""

    class Kind(models.TextChoices):
        GOODWILL = "goodwill", _("Goodwill credit")
        REFUND = "refund", _("Refund as store credit")
        BONUS = "bonus", _("Bonus")
        PAYMENT = "payment", _("Paid an order")
        REVERSAL = "reversal", _("Reversal")
        EXPIRY = "expiry", _("Expired")
        REVIEW_REWARD = "review_reward", _("Reward for a review with a photo")
        REFERRAL = "referral", _("Referral reward")

    customer = models.ForeignKey(
        "orders.Customer", on_delete=models.PROTECT, related_name="store_credit_entries"
    )
    currency = models.CharField(_("currency"), max_length=3, choices=[(c, c) for c in CURRENCIES])
    amount = models.DecimalField(_("amount"), **money_field_kwargs())
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    order = models.ForeignKey(
        "orders.Order", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # What the entry answers to, e.g. "adjustment:12" or "return:RMA-100"; unique per kind so
    # a retried request never credits twice.
    reference = models.CharField(_("reference"), max_length=64)
    reason = models.CharField(_("reason"), max_length=255, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("store credit entry")
        verbose_name_plural = _("store credit entries")
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(condition=~Q(amount=0), name="storecredit_amount_not_0"),
            models.UniqueConstraint(fields=["kind", "reference"], name="storecredit_reference"),
        ]
        indexes = [
            models.Index(fields=["customer", "currency"], name="storecredit_customer_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.amount} {self.currency} ({self.kind})"
