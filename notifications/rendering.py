"""Customer-facing text for a message: email subject, text and HTML, and short SMS text, rendered
in the customer's language from templates named after the event type."""

from dataclasses import dataclass

from django.template import TemplateDoesNotExist
from django.template.loader import render_to_string
from django.utils import translation

from notifications.models import OutboxMessage

TEMPLATE_DIR = "notifications/email"


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    text: str
    html: str


def locale_of(message: OutboxMessage) -> str:
    return (message.payload.get("order") or {}).get("locale") or "en"


def context_for(message: OutboxMessage) -> dict:
    return {**message.payload, "event_type": message.event_type}


def render_email(message: OutboxMessage) -> RenderedEmail | None:
    """The email for this event in the customer's language, or None if the event has none."""
    name = message.event_type.replace(".", "_")
    context = context_for(message)
    with translation.override(locale_of(message)):
        try:
            subject = render_to_string(f"{TEMPLATE_DIR}/{name}_subject.txt", context)
            text = render_to_string(f"{TEMPLATE_DIR}/{name}.txt", context)
            html = render_to_string(f"{TEMPLATE_DIR}/{name}.html", context)
        except TemplateDoesNotExist:
            return None
    return RenderedEmail(" ".join(subject.split()), text, html)


def render_short_text(message: OutboxMessage) -> str:
    """One line for SMS and WhatsApp: the email's subject."""
    rendered = render_email(message)
    return rendered.subject if rendered else message.event_type
