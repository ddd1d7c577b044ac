"""The transactional outbox and what becomes of each message: per-channel deliveries (email, SMS,
webhooks, live updates) with their attempts, webhook endpoints, the live event log that browser
streams read, contact preferences and dead letters."""

import secrets
import uuid
from base64 import b64encode

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _


class OutboxMessage(models.Model):
    """One domain event, written in the same transaction as the change it describes, so a
    rolled-back change never leaves a message behind."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    event_type = models.CharField(max_length=64)  # e.g. "order.cancelled"
    payload_version = models.PositiveSmallIntegerField(default=1)
    aggregate_type = models.CharField(max_length=32)  # e.g. "order"
    aggregate_id = models.CharField(max_length=64)
    payload = models.JSONField(encoder=DjangoJSONEncoder)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    # Set once the message has been fanned out into deliveries.
    dispatched_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("outbox message")
        verbose_name_plural = _("outbox messages")
        indexes = [
            models.Index(
                fields=["created_at"],
                name="outbox_pending_idx",
                condition=Q(dispatched_at__isnull=True),
            ),
            models.Index(fields=["aggregate_type", "aggregate_id"], name="outbox_aggregate_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} {self.aggregate_type}:{self.aggregate_id}"


class Channel(models.TextChoices):
    EMAIL = "email", _("Email")
    SMS = "sms", _("SMS")
    WHATSAPP = "whatsapp", _("WhatsApp")
    WEBHOOK = "webhook", _("Webhook")
    LIVE = "live", _("Live update")


class Delivery(models.Model):
    """One message on one channel to one target, with its own status and attempts."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        RETRYING = "retrying", _("Retrying")
        SENT = "sent", _("Sent")
        SKIPPED = "skipped", _("Skipped")  # opted out, or nothing to send to
        DEAD = "dead", _("Gave up")

    Channel = Channel

    message = models.ForeignKey(OutboxMessage, on_delete=models.CASCADE, related_name="deliveries")
    channel = models.CharField(max_length=16, choices=Channel.choices)
    target = models.CharField(max_length=255)  # address, phone, endpoint id or live topic
    endpoint = models.ForeignKey(
        "notifications.WebhookEndpoint",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="deliveries",
    )
    # Copied from the message so "what was sent about this order" is one indexed read.
    event_type = models.CharField(max_length=64)
    aggregate_type = models.CharField(max_length=32)
    aggregate_id = models.CharField(max_length=64)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    # A worker holds the delivery until then; a worker that dies lets it go by itself.
    leased_until = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    detail = models.CharField(max_length=255, blank=True)  # e.g. the email's subject
    sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        constraints = [
            models.UniqueConstraint(
                fields=["message", "channel", "target"], name="delivery_once_per_target"
            )
        ]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                name="delivery_due_idx",
                condition=Q(status__in=["pending", "retrying"]),
            ),
            models.Index(fields=["aggregate_type", "aggregate_id"], name="delivery_aggregate_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} via {self.channel} to {self.target}"


def new_webhook_secret() -> str:
    """A Standard Webhooks secret: "whsec_" + base64 of 32 random bytes."""
    return "whsec_" + b64encode(secrets.token_bytes(32)).decode()


class WebhookEndpoint(models.Model):
    """An integrator's URL that receives signed event notifications."""

    owner = models.ForeignKey(
        "oms.ApiClient",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="webhook_endpoints",
    )
    url = models.URLField(_("URL"), max_length=500)
    description = models.CharField(_("description"), max_length=200, blank=True)
    # Event types to send ("order.cancelled"), or prefixes ("order.*"); empty: every event.
    event_types = models.JSONField(_("event types"), default=list, blank=True)
    secret = models.CharField(max_length=100, default=new_webhook_secret)
    # After a rotation both secrets sign until the previous one expires, so receivers can
    # switch without losing a message.
    previous_secret = models.CharField(max_length=100, blank=True)
    previous_secret_expires_at = models.DateTimeField(null=True, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    disabled_reason = models.CharField(_("disabled because"), max_length=255, blank=True)
    disabled_at = models.DateTimeField(null=True, blank=True)
    failing_since = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("webhook endpoint")
        verbose_name_plural = _("webhook endpoints")

    def __str__(self) -> str:
        return self.url

    def wants(self, event_type: str) -> bool:
        if not self.event_types:
            return True
        return any(
            event_type == wanted or (wanted.endswith(".*") and event_type.startswith(wanted[:-1]))
            for wanted in self.event_types
        )


class WebhookAttempt(models.Model):
    """One HTTP request to a webhook endpoint and what came back."""

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="attempts_log")
    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="attempts")
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    latency_ms = models.PositiveIntegerField(default=0)
    error = models.CharField(max_length=500, blank=True)
    response_excerpt = models.CharField(max_length=500, blank=True)
    is_manual_replay = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("webhook attempt")
        verbose_name_plural = _("webhook attempts")
        ordering = ["-created_at"]


class LiveEvent(models.Model):
    """The committed log that live streams read; its id is the sequence number browsers resume
    from with Last-Event-ID. Written in id order (see services.live)."""

    topic = models.CharField(max_length=100)  # "order:100123", "staff"
    event_type = models.CharField(max_length=64)
    payload = models.JSONField(encoder=DjangoJSONEncoder)
    delivery = models.OneToOneField(
        Delivery, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("live event")
        verbose_name_plural = _("live events")
        indexes = [models.Index(fields=["topic", "id"], name="liveevent_topic_idx")]


class ContactPreference(models.Model):
    """What one email address agreed to receive. Transactional messages always go out."""

    email = models.EmailField(_("email"))
    wants_non_essential = models.BooleanField(_("receives non-essential messages"), default=True)
    # Topics (notifications.catalogue.TOPICS) this address turned off one by one.
    opted_out_topics = models.JSONField(_("topics turned off"), default=list, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("contact preference")
        verbose_name_plural = _("contact preferences")
        constraints = [models.UniqueConstraint(Lower("email"), name="contactpref_email_ci")]


class DeadLetter(models.Model):
    """A task that failed its last retry, kept for a person to look at and replay."""

    task = models.CharField(max_length=200)
    args = models.JSONField(default=list, encoder=DjangoJSONEncoder)
    kwargs = models.JSONField(default=dict, encoder=DjangoJSONEncoder)
    error = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("dead letter")
        verbose_name_plural = _("dead letters")
        ordering = ["-created_at"]
