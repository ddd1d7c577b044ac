"""Customer-facing text for a message: email subject, text and HTML, and short SMS text, rendered
in the customer's language from templates named after the event type."""

import re
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.template import TemplateDoesNotExist
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.dateparse import parse_date, parse_datetime

from notifications.catalogue import spec_for
from notifications.models import OutboxMessage
from notifications.preferences_links import preference_url

TEMPLATE_DIR = "notifications/email"
_BLANK_LINES = re.compile(r"\n{3,}")


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


def context_for(message: OutboxMessage) -> dict:
    """The payload as templates read it, plus what every email needs: the store's name, whether
    the message is essential, and the link to the recipient's preference centre."""
    order = message.payload.get("order") or {}
    event = message.payload.get("event") or {}
    return {
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
    }


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
