"""The console's template helpers: money in its currency's minor unit and the reader's number
format, status badges, actor labels and compact ages. Load with `{% load console %}`."""

from datetime import datetime
from decimal import Decimal, InvalidOperation

from django import template
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.html import format_html
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from oms.actors import ActorKind
from orders.models import OrderEvent, TrackingEvent
from orders.models.adjustments import AdjustmentReason
from orders.models.fulfilment import ShipmentStatus
from orders.models.orders import OrderStatus
from orders.money import CURRENCY_EXPONENTS
from orders.services.replacement import ReplacementReason
from support.models import ActionKind

register = template.Library()

# Symbols a reader recognises; currencies not listed are written with their ISO code after the
# amount. USD keeps "$" (the store's home currency); other dollars are told apart.
SYMBOLS = {
    "USD": "$",
    "EUR": "€",
    "GBP": "£",
    "BRL": "R$\u00a0",
    "JPY": "¥",
    "CAD": "CA$",
    "MXN": "MX$",
    "ARS": "AR$\u00a0",
    "CLP": "CLP\u00a0",
    "KRW": "₩",
}
# Where a language writes a currency differently: Brazilians write dollars as US$.
LOCAL_SYMBOLS = {"pt-br": {"USD": "US$\u00a0", "CAD": "C$\u00a0", "MXN": "MX$\u00a0"}}
MINUS = "\u2212"


def format_money(amount, currency: str, *, signed: bool = False) -> str:
    """`amount` with its currency's decimals, grouped the way the active language writes
    numbers: $1,234.50, R$ 1.234,50, ¥3,095, 12.500 KWD."""
    if amount is None or amount == "":
        return ""
    try:
        value = Decimal(amount)
    except (InvalidOperation, TypeError, ValueError):
        return str(amount)
    places = CURRENCY_EXPONENTS.get(currency, 2)
    sign = MINUS if value < 0 else ("+" if signed and value > 0 else "")
    digits = number_format(abs(value), places, use_l10n=True, force_grouping=True)
    symbol = LOCAL_SYMBOLS.get(get_language() or "", {}).get(currency, SYMBOLS.get(currency))
    if symbol is None:
        return f"{sign}{digits}\u00a0{currency}"
    return f"{sign}{symbol}{digits}"


@register.filter
def money(amount, currency: str = "USD") -> str:
    """{{ order.total|money:order.currency }}"""
    return format_money(amount, currency)


@register.filter
def signed_money(amount, currency: str = "USD") -> str:
    """Like `money`, with a + on positive amounts (ledgers: credits and debits)."""
    return format_money(amount, currency, signed=True)


@register.simple_tag
def badge(status: str, label: str = "", extra: str = "") -> str:
    """{% badge order.status order.get_status_display %}: a status pill coloured by status."""
    return format_html(
        '<span class="badge badge-{}{}">{}</span>',
        status or "none",
        f" {extra}" if extra else "",
        label or status,
    )


@register.simple_tag
def actor(kind: str, label: str) -> str:
    """{% actor event.actor_kind event.actor_label %}: who did it, and what kind of actor."""
    try:
        kind_label = ActorKind(kind).label
    except ValueError:
        kind_label = kind
    return format_html(
        '<span class="actor actor-{}" title="{}"><span class="actor-kind">{}</span> {}</span>',
        kind or "unknown",
        kind_label,
        kind_label,
        label,
    )


@register.filter
def age(value: datetime | None, now: datetime | None = None) -> str:
    """A compact age for queues: 12m, 5h, 3d."""
    if not value:
        return ""
    seconds = max(0, int(((now or timezone.now()) - value).total_seconds()))
    if seconds < 3600:
        return _("%(minutes)dm") % {"minutes": max(1, seconds // 60)}
    if seconds < 86400 * 2:
        return _("%(hours)dh") % {"hours": seconds // 3600}
    return _("%(days)dd") % {"days": seconds // 86400}


@register.filter
def get_item(mapping, key):
    """{{ mapping|get_item:key }} for dictionaries keyed by something a template cannot spell."""
    if mapping is None:
        return None
    try:
        return mapping.get(key)
    except AttributeError:
        return None


EVENT_TONES = {
    "bad": {
        "cancelled",
        "lines_cancelled",
        "payment_failed",
        "shipment_exception",
        "delayed",
        "payment_voided",
    },
    "ok": {
        "confirmed",
        "delivered",
        "payment_captured",
        "payment_authorized",
        "attention_cleared",
        "released",
    },
    "warn": {"held", "approval_requested", "adjusted", "goodwill", "payment_refunded", "modified"},
}


@register.filter
def event_tone(event_type: str) -> str:
    """The dot colour of a timeline entry: ok, bad, warn or info."""
    for tone, types in EVENT_TONES.items():
        if event_type in types:
            return tone
    return "info"


# Keys of an event's data that say nothing to a rep (ids, links, technical flags).
HIDDEN_KEYS = {
    "adjustment_id",
    "payment_url",
    "warehouses",
    "approval_id",
    "case_id",
    "occurred_at",
    "carrier_event_id",
    "tracking_url",
    "expires_at",
}
MONEY_KEYS = {"amount", "value", "authorized", "difference", "refund", "charge", "total"}


def _summarise(value, currency: str) -> str:
    if isinstance(value, dict):
        if "number" in value:
            return str(value["number"])
        if "sku" in value:
            return f"{value['sku']} ×{value.get('quantity', '')}".strip()
        return ", ".join(f"{k}: {_summarise(v, currency)}" for k, v in list(value.items())[:3])
    if isinstance(value, list | tuple):
        shown = [_summarise(item, currency) for item in value[:4]]
        more = len(value) - len(shown)
        return ", ".join(shown) + (f" +{more}" if more > 0 else "")
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    return str(value)


STATUS_LABELS: dict[str, str] = {}


def status_label(value) -> str:
    """The translated label of an order, shipment or scan status value; else the value."""
    if not STATUS_LABELS:
        for choices in (TrackingEvent.Status, ShipmentStatus, OrderStatus):
            STATUS_LABELS.update({choice.value: choice.label for choice in choices})
    label = STATUS_LABELS.get(value)
    return str(label) if label is not None else str(value)


# Events whose reason is a reason code rather than words a person typed. Both sets of codes
# have a "damaged", worded differently, so the event type picks the set.
REASON_CODE_EVENTS = {
    OrderEvent.Type.ADJUSTED,
    OrderEvent.Type.GOODWILL,
    OrderEvent.Type.REPLACEMENT,
    OrderEvent.Type.APPROVAL_REQUESTED,
    OrderEvent.Type.APPROVAL_DECIDED,
}


@register.filter
def event_reason(event) -> str:
    """{{ event|event_reason }}: the event's reason, a reason code shown by its translated label
    (a replacement's, or an approval's for a reship, from the replacement reasons)."""
    reason = getattr(event, "reason", "") or ""
    if event.type not in REASON_CODE_EVENTS:
        return reason
    data = getattr(event, "data", None) or {}
    is_reship = event.type == OrderEvent.Type.REPLACEMENT or data.get("action") == ActionKind.RESHIP
    choices = ReplacementReason if is_reship else AdjustmentReason
    return str(dict(choices.choices).get(reason, reason))


@register.filter
def approval_reason(request) -> str:
    """{{ approval_request|approval_reason }}: its reason code's label, from the reship reasons
    for a reship and the adjustment reasons otherwise (both sets have a `damaged`)."""
    choices = ReplacementReason if request.action == ActionKind.RESHIP else AdjustmentReason
    return str(dict(choices.choices).get(request.reason_code, request.reason_code))


# Keys whose value is a status: shown by its label.
STATUS_KEYS = {"status", "shipment_status", "carrier_status", "from", "to"}


@register.simple_tag
def event_details(event, currency: str = "USD") -> list[tuple[str, str]]:
    """{% event_details event order.currency as details %}: the few facts of a timeline entry's
    data worth showing, as (label, text) pairs, with money in the order's currency and statuses
    by their names. A carrier scan is summed up as its description and place."""
    data = getattr(event, "data", None) or {}
    details = []
    scan = ", ".join(str(data[key]) for key in ("description", "location") if data.get(key))
    if scan:
        details.append(("", scan))
    if "from" in data and "to" in data:
        details.append((_("status"), f"{status_label(data['from'])} → {status_label(data['to'])}"))
    for key, value in data.items():
        if key in HIDDEN_KEYS or key in ("from", "to", "description", "location"):
            continue
        if value in (None, "", [], {}):
            continue
        if scan and key in ("carrier_status", "shipment_status"):
            continue  # the entry's title and description already say it
        if key == "notify_customer":
            if not value:
                details.append((_("customer"), _("not notified")))
            continue
        if key in MONEY_KEYS:
            text = format_money(value, currency)
        elif key in STATUS_KEYS and isinstance(value, str):
            text = status_label(value)
        else:
            text = _summarise(value, currency)
        details.append((key.replace("_", " "), text[:120]))
    return details[:6]
