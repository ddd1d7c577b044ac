"""Turns domain errors into form errors the rep can act on: the console's single mapping of
oms.exceptions (the API's is oms.api.problems)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from oms.exceptions import DomainError

# Messages shown to reps for the codes services raise, translated. A code without an entry
# shows the service's own (English) message.
MESSAGES = {
    "order_not_cancellable": _("This order can no longer be cancelled."),
    "insufficient_stock": _("There is not enough stock for this change."),
    "payment_declined": _("The payment was declined."),
    "payment_gateway_unavailable": _("The payment gateway did not answer. Try again shortly."),
    "permission_denied": _("You are not allowed to do this."),
}


def message_for(error: DomainError) -> str:
    return str(MESSAGES.get(error.code, error.message))


def add_domain_error(form: forms.Form, error: DomainError) -> None:
    """Attach the error to the form: to each named field it knows, else to the whole form."""
    placed = False
    for item in error.errors:
        field = (item.get("field") or "").split(".")[0].split("[")[0]
        if field in form.fields:
            form.add_error(field, str(MESSAGES.get(item.get("code"), item.get("message", ""))))
            placed = True
    if not placed:
        form.add_error(None, message_for(error))
