"""Customer feedback on the console's timelines: a FEEDBACK order event in words (a review
written, published, rejected or answered; a survey asked or answered) and its few facts (stars,
score, comment, reward). Support never imports feedback: the events' data says what happened.
Load with `{% load console_feedback %}`."""

from django import template
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from support.templatetags.console import format_money

register = template.Library()

STEPS = {
    "review_published": gettext_lazy("Review published"),
    "review_rejected": gettext_lazy("Review rejected"),
    "review_replied": gettext_lazy("Store replied to a review"),
}
KINDS = {
    "review": gettext_lazy("Review written"),
    "nps": gettext_lazy("NPS survey answered"),
    "return_experience": gettext_lazy("Return survey answered"),
}
# Steps whose reason a person typed (the moderator's note, the reply); other feedback events
# carry a fixed technical reason that says nothing more than the title.
TYPED_REASONS = {"review_published", "review_rejected", "review_replied"}


def _data(event) -> dict:
    return getattr(event, "data", None) or {}


@register.filter
def feedback_step(event) -> str:
    """{{ event|feedback_step }}: what happened, in words."""
    data = _data(event)
    if data.get("step") in STEPS:
        return str(STEPS[data["step"]])
    if data.get("request_id") and "score" not in data:
        if data.get("rma"):
            return _("Return survey sent")
        return _("Review and NPS survey sent")
    if data.get("kind") in KINDS:
        return str(KINDS[data["kind"]])
    return _("Customer feedback")


@register.filter
def feedback_reason(event) -> str:
    """The reason worth quoting: what a moderator typed, or the customer's comment."""
    data = _data(event)
    if data.get("step") in TYPED_REASONS:
        return getattr(event, "reason", "") or ""
    return str(data.get("comment") or "")


def stars(rating) -> str:
    try:
        rating = max(0, min(5, int(rating)))
    except (TypeError, ValueError):
        return ""
    return "★" * rating + "☆" * (5 - rating)


@register.simple_tag
def feedback_details(event, currency: str = "USD") -> list[tuple[str, str]]:
    """{% feedback_details event order.currency as details %}: (label, text) pairs."""
    data = _data(event)
    details = []
    if data.get("sku"):
        details.append((_("item"), str(data["sku"])))
    if data.get("rating") is not None:
        details.append((_("rating"), stars(data["rating"])))
    if data.get("score") is not None:
        out_of = 10 if data.get("kind") == "nps" else 5
        details.append((_("score"), f"{data['score']}/{out_of}"))
    if data.get("photo_count"):
        details.append((_("photos"), str(data["photo_count"])))
    if data.get("reward_amount"):
        amount = format_money(data["reward_amount"], data.get("reward_currency") or currency)
        details.append((_("store credit"), amount))
    if data.get("rma"):
        details.append((_("return"), str(data["rma"])))
    return details
