"""State kept by the built-in sandbox payment gateway, standing in for a real provider's servers.

Nothing in the order core reads these tables; only orders.gateways.sandbox does.
"""

from django.db import models

from orders.money import money_field_kwargs


class SandboxCharge(models.Model):
    reference = models.CharField(max_length=64, unique=True)
    currency = models.CharField(max_length=3)
    card_last4 = models.CharField(max_length=4)
    authorized = models.DecimalField(**money_field_kwargs())
    captured = models.DecimalField(default=0, **money_field_kwargs())
    refunded = models.DecimalField(default=0, **money_field_kwargs())
    is_voided = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)


class SandboxOperation(models.Model):
    """The recorded result of a gateway call, replayed when the same idempotency key returns."""

    idempotency_key = models.CharField(max_length=128, unique=True)
    operation = models.CharField(max_length=16)
    result = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)
