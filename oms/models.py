"""API clients (token + scopes) and idempotency records, shared by every app's API."""

import hashlib
import secrets

from django.db import models
from django.utils.translation import gettext_lazy as _


class Scope(models.TextChoices):
    ORDERS_READ = "orders:read", _("Read orders")
    ORDERS_WRITE = "orders:write", _("Create and change orders")
    SHIPMENTS_WRITE = "shipments:write", _("Create and ship shipments")
    TRACKING_WRITE = "tracking:write", _("Post carrier tracking events")
    CATALOG_READ = "catalog:read", _("Read products, variants, warehouses and stock")
    STOCK_WRITE = "stock:write", _("Adjust stock")
    CUSTOMERS_READ = "customers:read", _("Read and search customers")
    WEBHOOKS_MANAGE = "webhooks:manage", _("Manage webhook endpoints and replay deliveries")
    RETURNS_READ = "returns:read", _("Read returns")
    RETURNS_WRITE = "returns:write", _("Create returns for customers")
    RETURNS_RECEIVE = "returns:receive", _("Receive and inspect returns (a WMS)")
    INSIGHTS_READ = "insights:read", _("Read insights measures and alerts")
    FEEDBACK_READ = "feedback:read", _("Read published reviews and rating aggregates")


TOKEN_PREFIX = "oms_"


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class ApiClient(models.Model):
    """An integrator (storefront, marketplace, WMS, carrier). Only the token's hash is stored."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    scopes = models.JSONField(_("scopes"), default=list, blank=True)
    token_prefix = models.CharField(max_length=12, editable=False, blank=True)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("API client")
        verbose_name_plural = _("API clients")

    def __str__(self) -> str:
        return self.name

    def set_new_token(self) -> str:
        """Give the client a fresh token and return it; it is shown once and never stored."""
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        self.token_prefix = token[:12]
        self.token_hash = hash_token(token)
        return token

    def has_scopes(self, *required: str) -> bool:
        return set(required) <= set(self.scopes)


class IdempotencyRecord(models.Model):
    """The first response to a POST with an Idempotency-Key, replayed for its retries."""

    class State(models.TextChoices):
        IN_PROGRESS = "in_progress"
        COMPLETED = "completed"

    client = models.ForeignKey(ApiClient, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    method = models.CharField(max_length=8)
    path = models.CharField(max_length=512)
    request_fingerprint = models.CharField(max_length=64)
    state = models.CharField(max_length=16, choices=State.choices, default=State.IN_PROGRESS)
    response_status = models.PositiveSmallIntegerField(null=True)
    response_body = models.JSONField(null=True)
    created_at = models.DateTimeField()
    locked_until = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["client", "key"], name="idempotency_key_unique")
        ]
        indexes = [models.Index(fields=["created_at"], name="idempotency_created_idx")]
