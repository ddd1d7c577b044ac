"""What the money action panels share: refusal statuses, amount text, note and reason fields and
the message when a request goes to approval."""

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from oms.exceptions import DomainError
from orders.models import Order
from support.templatetags.console import format_money


def refusal_status(exc: DomainError) -> int:
    """The status a refused panel is re-rendered with: the error's own when a panel can use it."""
    return exc.status if exc.status in (400, 403, 404, 409) else 400


def amount_text(value) -> str:
    """An amount as typed, with a decimal comma read as a point ("12,50")."""
    return (value or "").strip().replace(",", ".") if isinstance(value, str) else value


def note_field() -> forms.CharField:
    return forms.CharField(
        label=gettext_lazy("Note"),
        max_length=2000,
        widget=forms.Textarea(
            attrs={"rows": 3, "placeholder": gettext_lazy("What happened, what was agreed")}
        ),
        help_text=gettext_lazy("Kept on the order and shown to the approver."),
    )


def reason_field(choices, label=None) -> forms.ChoiceField:
    return forms.ChoiceField(
        label=label or gettext_lazy("Reason"),
        choices=[("", gettext_lazy("Choose a reason…")), *choices],
    )


def queued_message(outcome, order: Order) -> str:
    """What the rep is told when the action went to a supervisor for approval."""
    return _(
        "Above your authority: %(amount)s was sent to a supervisor for approval. "
        "You will see the decision on this order."
    ) % {"amount": format_money(outcome.request.amount, order.currency)}
