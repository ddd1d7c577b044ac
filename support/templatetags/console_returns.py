"""Template helpers for returns in the console: a return step on the order timeline in words
("Return R-100042-1 approved", linked to the return), the tone of its dot, and the facts of a
return event worth showing. Load with `{% load console_returns %}`."""

from types import SimpleNamespace

from django import template
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from returns.models import (
    Disposition,
    ItemCondition,
    RequestedVia,
    Resolution,
    ReturnReason,
    ReturnStatus,
)
from support.templatetags.console import event_details, format_money

register = template.Library()

# ReturnEvent type (the `step` of an order's return_updated event) -> the sentence, with the RMA.
STEPS = {
    "requested": _("Return %(rma)s requested"),
    "approved": _("Return %(rma)s approved"),
    "rejected": _("Return %(rma)s rejected"),
    "cancelled": _("Return %(rma)s cancelled"),
    "expired": _("Return %(rma)s expired"),
    "label_created": _("Return label created for %(rma)s"),
    "in_transit": _("Return %(rma)s on its way back"),
    "received": _("Return %(rma)s received"),
    "inspected": _("Return %(rma)s inspected"),
    "refunded": _("Refund released for return %(rma)s"),
    "credited": _("Store credit released for return %(rma)s"),
    "exchanged": _("Exchange order placed for return %(rma)s"),
    "closed": _("Return %(rma)s closed"),
    "withdrawal_acknowledged": _("Withdrawal acknowledged for %(rma)s"),
    "note": _("Note on return %(rma)s"),
}
TONES = {
    "ok": {"approved", "received", "refunded", "credited", "exchanged", "closed"},
    "bad": {"rejected", "cancelled", "expired"},
    "warn": {"requested", "withdrawal_acknowledged"},
}
# Keys of a return event's data already said by the sentence or of no use to a rep.
HIDDEN = {
    "rma",
    "step",
    "return_id",
    "line_ids",
    "idempotency_reference",
    "refunds",
    "scan",
    "exchange_tracking_url",  # the customer's own signed link, as the order timeline hides it
}
# Money in the return's currency (the order timeline's own money keys are formatted already).
MONEY = {"refunded_total", "credited_total", "not_refundable", "bonus", "to_pay", "credit_applied"}
# Values shown by their label instead of their code.
CHOICES = {
    "resolution": Resolution,
    "reason": ReturnReason,
    "condition": ItemCondition,
    "disposition": Disposition,
    "status": ReturnStatus,
    "via": RequestedVia,
    "from": ReturnStatus,
    "to": ReturnStatus,
}


@register.filter
def return_step(event) -> str:
    """{{ order_event|return_step }}: "Return R-100042-1 approved", the RMA linking to the
    return's console page."""
    data = getattr(event, "data", None) or {}
    rma = str(data.get("rma") or "")
    sentence = str(STEPS.get(data.get("step"), _("Return %(rma)s updated")))
    if not rma:
        return sentence % {"rma": ""}
    before, _sep, after = sentence.partition("%(rma)s")
    link = reverse("console:return-detail", kwargs={"rma": rma})
    return format_html('{}<a class="mono" href="{}">{}</a>{}', before, link, rma, after)


@register.filter
def return_tone(step: str) -> str:
    """The timeline dot's colour for a return step (a ReturnEvent type): ok, bad, warn, info."""
    for tone, steps in TONES.items():
        if step in steps:
            return tone
    return "info"


def _labelled(value, choices):
    if isinstance(value, str):
        return str(dict(choices.choices).get(value, value))
    return value


def _line_text(item) -> str:
    """One line of a return step: its SKU and units, the condition it arrived in, and what
    happens to it ("→ Restock")."""
    if not isinstance(item, dict):
        return str(item)
    text = f"{item.get('sku', '')} ×{item.get('quantity', '')}".strip()
    if item.get("condition"):
        text += f" ({_labelled(item['condition'], ItemCondition)})"
    if item.get("disposition"):
        text += f" → {_labelled(item['disposition'], Disposition)}"
    return text


@register.simple_tag
def return_event_details(event, currency: str = "USD") -> list[tuple[str, str]]:
    """{% return_event_details event currency as details %}: an order's return_updated event or
    a ReturnEvent, its data without what the sentence says, codes by their labels, money in the
    return's currency."""
    data = {}
    for key, value in (getattr(event, "data", None) or {}).items():
        if key in HIDDEN or value is False:  # a flag that is off says nothing
            continue
        if key == "lines" and isinstance(value, list):
            value = ", ".join(_line_text(item) for item in value[:6]) + (
                f" +{len(value) - 6}" if len(value) > 6 else ""
            )
        elif key in CHOICES:
            value = _labelled(value, CHOICES[key])
        elif key in MONEY and value not in (None, ""):
            value = format_money(value, currency)
        data[key] = value
    return event_details(SimpleNamespace(type=getattr(event, "type", ""), data=data), currency)
