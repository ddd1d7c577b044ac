"""Guest access to the returns portal: one-time codes sent to the order's email, and the
attempts the lookup counts to rate-limit guessing (in the database, so every web process shares
the same count)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class PortalAccessCode(models.Model):
    """A one-time code for one order, sent to the order's email. Only its hash is stored."""

    order = models.ForeignKey("orders.Order", on_delete=models.CASCADE, related_name="+")
    code_hash = models.CharField(max_length=128)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    failed_attempts = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("portal access code")
        verbose_name_plural = _("portal access codes")
        indexes = [models.Index(fields=["order", "-created_at"], name="portalcode_order_idx")]


class PortalAttempt(models.Model):
    """One lookup or code attempt, counted per key ("order:100042", "ip:203.0.113.9",
    "email:…") over a sliding window; old rows are swept by a periodic task."""

    key = models.CharField(max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("portal attempt")
        verbose_name_plural = _("portal attempts")
        indexes = [models.Index(fields=["key", "created_at"], name="portalattempt_key_idx")]
