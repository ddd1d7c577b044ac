"""Channels deliver one Delivery each. A channel is any object with `send(delivery)`; the
backend for each channel is chosen in settings (OMS_CHANNEL_BACKENDS), so a provider (an SMS
gateway, WhatsApp) plugs in without the domain knowing."""

from dataclasses import dataclass
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string

from notifications.models import Delivery


@dataclass(frozen=True)
class SendResult:
    is_success: bool
    # Permanent failures are not retried (an endpoint answering 410, an invalid address).
    is_permanent: bool = False
    error: str = ""
    detail: str = ""


class ChannelBackend(Protocol):
    def send(self, delivery: Delivery) -> SendResult: ...


DEFAULT_BACKENDS = {
    "email": "notifications.channels.email.EmailChannel",
    "sms": "notifications.channels.messaging.LoggingSmsChannel",
    "whatsapp": "notifications.channels.messaging.LoggingWhatsAppChannel",
    "webhook": "notifications.channels.webhook.WebhookChannel",
    "live": "notifications.channels.live.LiveChannel",
}


def backend_for(channel: str) -> ChannelBackend:
    path = {**DEFAULT_BACKENDS, **getattr(settings, "OMS_CHANNEL_BACKENDS", {})}[channel]
    return import_string(path)()
