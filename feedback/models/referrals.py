"""Referrals: every customer has a code; a friend who orders with it is recorded once, and
when the friend's first order is delivered both get store credit (rules per currency, admin)."""

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from orders.money import CURRENCIES, money_field_kwargs


class ReferralReward(models.Model):
    """The programme's rules for one currency: what the referrer and the new customer get."""

    currency = models.CharField(
        _("currency"), max_length=3, choices=[(c, c) for c in CURRENCIES], unique=True
    )
    referrer_amount = models.DecimalField(_("credit for the referrer"), **money_field_kwargs())
    friend_amount = models.DecimalField(_("credit for the new customer"), **money_field_kwargs())
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("referral reward")
        verbose_name_plural = _("referral rewards")
        constraints = [
            models.CheckConstraint(
                condition=Q(referrer_amount__gte=0, friend_amount__gte=0),
                name="referralreward_amounts_gte_0",
            )
        ]

    def __str__(self) -> str:
        return self.currency


class ReferralCode(models.Model):
    customer = models.OneToOneField(
        "orders.Customer", on_delete=models.CASCADE, related_name="referral_code"
    )
    code = models.CharField(_("code"), max_length=16, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("referral code")
        verbose_name_plural = _("referral codes")

    def __str__(self) -> str:
        return self.code


class Referral(models.Model):
    """A new customer brought by a referrer. One per new customer (unique), never the referrer
    themself (CHECK, plus the service's same-person checks); rewarded once, after the new
    customer's first order is delivered."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for the first delivery")
        REWARDED = "rewarded", _("Rewarded")
        VOID = "void", _("Not eligible")

    referrer = models.ForeignKey("orders.Customer", on_delete=models.CASCADE, related_name="+")
    referred = models.OneToOneField(
        "orders.Customer", on_delete=models.CASCADE, related_name="referred_by"
    )
    code = models.ForeignKey(ReferralCode, on_delete=models.CASCADE, related_name="referrals")
    first_order = models.ForeignKey(
        "orders.Order", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.PENDING
    )
    void_reason = models.CharField(max_length=64, blank=True)
    rewarded_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("referral")
        verbose_name_plural = _("referrals")
        constraints = [
            models.CheckConstraint(condition=~Q(referrer=F("referred")), name="referral_not_self"),
        ]
        indexes = [
            models.Index(fields=["status"], name="referral_status_idx"),
            models.Index(fields=["referrer"], name="referral_referrer_idx"),
        ]
