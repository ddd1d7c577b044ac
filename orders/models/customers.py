"""Customers of the store, independent of Django users (most never log in)."""

from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _


class Locale(models.TextChoices):
    """The languages customers are written to in (English and Brazilian Portuguese ship)."""

    EN = "en", "English"
    PT_BR = "pt-br", "Português (Brasil)"


class Customer(models.Model):
    name = models.CharField(_("name"), max_length=200)
    email = models.EmailField(_("email"), max_length=254)
    phone = models.CharField(_("phone"), max_length=32, blank=True, db_index=True)
    locale = models.CharField(_("language"), max_length=8, default="en", choices=Locale.choices)
    country = models.CharField(_("country"), max_length=2, default="US")
    # IANA name ("America/Sao_Paulo"); blank: the country's usual zone (returns' windows end
    # at midnight where the customer is).
    time_zone = models.CharField(_("time zone"), max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        constraints = [
            models.UniqueConstraint(Lower("email"), name="customer_email_ci_unique"),
        ]
        indexes = [models.Index(fields=["name"], name="customer_name_idx")]

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>"


class Address(models.Model):
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="addresses")
    name = models.CharField(_("name"), max_length=200)
    line1 = models.CharField(_("address line 1"), max_length=200)
    line2 = models.CharField(_("address line 2"), max_length=200, blank=True)
    city = models.CharField(_("city"), max_length=100)
    region = models.CharField(_("region/state"), max_length=64, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=16)
    country = models.CharField(_("country"), max_length=2)
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    is_default = models.BooleanField(_("default"), default=False)

    class Meta:
        verbose_name = _("address")
        verbose_name_plural = _("addresses")
        constraints = [
            models.UniqueConstraint(
                fields=["customer", "line1", "postal_code"], name="address_unique_per_customer"
            )
        ]

    def as_snapshot(self) -> dict[str, str]:
        return {
            "name": self.name,
            "line1": self.line1,
            "line2": self.line2,
            "city": self.city,
            "region": self.region,
            "postal_code": self.postal_code,
            "country": self.country,
            "phone": self.phone,
        }


class SavedPaymentMethod(models.Model):
    """A payment method the customer saved with the gateway (its vault token, never a card
    number): CSRs charge it for assisted orders without ever seeing card details."""

    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="saved_payment_methods"
    )
    gateway = models.CharField(_("gateway"), max_length=32)
    token = models.CharField(_("gateway token"), max_length=128)
    label = models.CharField(_("label"), max_length=64)  # e.g. "Visa •••• 4242"
    is_default = models.BooleanField(_("default"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("saved payment method")
        verbose_name_plural = _("saved payment methods")
        constraints = [
            models.UniqueConstraint(
                fields=["customer"],
                condition=Q(is_default=True),
                name="savedpaymentmethod_one_default",
            )
        ]

    def __str__(self) -> str:
        return self.label
