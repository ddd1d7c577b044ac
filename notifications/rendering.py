"""Customer-facing text for a message: email subject, text and HTML, and short SMS text, rendered
in the customer's language from templates named after the event type."""

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.template import TemplateDoesNotExist
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils import translation
from django.utils.dateparse import parse_date, parse_datetime

from notifications.catalogue import spec_for
from notifications.models import OutboxMessage
from notifications.preferences_links import preference_url

TEMPLATE_DIR = "notifications/email"
_BLANK_LINES = re.compile(r"\n{3,}")

# Apps above notifications add to their emails' context what only they can make, such as a
# signed link into their pages, without notifications importing them and without putting the
# link in the payload (payloads also go to webhooks and live streams). Registered in AppConfig.
ContextProvider = Callable[[OutboxMessage], dict[str, Any]]
_context_providers: list[ContextProvider] = []


def register_context_provider(provider: ContextProvider) -> None:
    """Call `provider(message)` for every email rendered; its keys join the template context.
    A provider answers {} for messages that are not its own."""
    if provider not in _context_providers:
        _context_providers.append(provider)


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    text: str
    html: str


def locale_of(message: OutboxMessage) -> str:
    return (message.payload.get("order") or {}).get("locale") or "en"


def _as_date(value: Any):
    """Payload dates are ISO strings; as dates, templates show them in the customer's format."""
    if not isinstance(value, str) or not value:
        return None
    try:
        return parse_date(value[:10])
    except ValueError:
        return None


def _as_datetime(value: Any):
    if not isinstance(value, str) or not value:
        return None
    try:
        return parse_datetime(value)
    except ValueError:
        return None


def _shipment(event: dict) -> dict:
    """The event's shipment as one shape: shipping events carry the whole shipment (carrier,
    tracking number, estimated delivery), carrier scans only its number."""
    shipment = event.get("shipment")
    if isinstance(shipment, dict):
        shipment = dict(shipment)
    elif shipment:
        shipment = {"number": str(shipment)}
    else:
        return {}
    shipment["estimated_delivery_date"] = _as_date(shipment.get("estimated_delivery_date"))
    return shipment


def _zone_name(value: Any) -> str:
    """An IANA time zone the server knows, else UTC."""
    if isinstance(value, str) and value:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            return "UTC"
        return value
    return "UTC"


def _public_url(url_name: str) -> str:
    try:
        path = reverse(url_name)
    except NoReverseMatch:
        return ""
    return settings.OMS_PUBLIC_URL.rstrip("/") + path


def _return_context(message: OutboxMessage, event: dict) -> dict:
    """What return emails need besides the payload: where the customer follows the return (a
    signed status link when the payload has one, else the portal's start page, where the RMA and
    order number let them in), and, for a withdrawal, when it was received and in which zone."""
    return_ = message.payload.get("return") or {}
    status_url = return_.get("status_url") or event.get("status_url") or ""
    # When the withdrawal reached us: the event says so; else the outbox row, which is written
    # in the same transaction as the withdrawal itself.
    received_at = _as_datetime(event.get("received_at")) or message.created_at
    if received_at is not None and received_at.tzinfo is None:
        received_at = received_at.replace(tzinfo=UTC)
    access = message.payload.get("access") or {}
    return {
        "returns_portal_url": _public_url("returns-start"),
        # The portal's access email: how long the code and the link work.
        "code_valid_minutes": access.get("code_valid_minutes")
        or int(settings.OMS_PORTAL_CODE_VALID_FOR.total_seconds() // 60),
        "link_valid_days": access.get("link_valid_days")
        or max(1, settings.OMS_PORTAL_LINK_VALID_FOR.days),
        "return_status_url": status_url,
        "label_url": event.get("label_url") or return_.get("label_url") or "",
        "received_at": received_at,
        "customer_time_zone": _zone_name(event.get("time_zone")),
    }


def context_for(message: OutboxMessage) -> dict:
    """The payload as templates read it, plus what every email needs: the store's name, whether
    the message is essential, and the link to the recipient's preference centre."""
    order = message.payload.get("order") or {}
    event = message.payload.get("event") or {}
    context = {
        **message.payload,
        "event_type": message.event_type,
        "is_essential": spec_for(message.event_type).essential,
        "store_name": getattr(settings, "OMS_STORE_NAME", ""),
        "preferences_url": preference_url(order["email"]) if order.get("email") else "",
        "shipment": _shipment(event),
        # A delayed parcel carries its own promise; the order's is the fallback.
        "promised_delivery_date": _as_date(
            event.get("promised_delivery_date") or order.get("promised_delivery_date")
        ),
        "occurred_at": _as_datetime(event.get("occurred_at")),
        **(_return_context(message, event) if message.event_type.startswith("return.") else {}),
    }
    for provider in _context_providers:
        context.update(provider(message))
    return context


def _tidy_text(text: str) -> str:
    """Template tags leave blank lines behind; a text email reads better without them."""
    lines = "\n".join(line.rstrip() for line in text.strip().splitlines())
    return _BLANK_LINES.sub("\n\n", lines) + "\n"


def render_email(message: OutboxMessage) -> RenderedEmail | None:
    """The email for this event in the customer's language, or None if the event has none."""
    name = message.event_type.replace(".", "_")
    context = context_for(message)
    with translation.override(locale_of(message)):
        try:
            subject = render_to_string(f"{TEMPLATE_DIR}/{name}_subject.txt", context)
            context["subject"] = " ".join(subject.split())
            text = render_to_string(f"{TEMPLATE_DIR}/{name}.txt", context)
            html = render_to_string(f"{TEMPLATE_DIR}/{name}.html", context)
        except TemplateDoesNotExist:
            return None
    return RenderedEmail(context["subject"], _tidy_text(text), html)


def render_short_text(message: OutboxMessage) -> str:
    """One line for SMS and WhatsApp: the email's subject."""
    rendered = render_email(message)
    return rendered.subject if rendered else message.event_type
