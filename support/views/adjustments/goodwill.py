"""The goodwill credit panel: preview the customer's store credit, then give or request it."""

from django import forms
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from oms.exceptions import DomainError
from orders.models import OrderAdjustment
from orders.services import adjustments
from returns import selectors as credit_selectors
from support.access import console_view
from support.context import active_case
from support.errors import add_domain_error
from support.models import ActionKind
from support.services import approvals as approval_services
from support.services.authority import decide_authority
from support.templatetags.console import format_money
from support.views.adjustments.panels import (
    amount_text,
    note_field,
    queued_message,
    reason_field,
    refusal_status,
)
from support.views.order_panels import done, get_order, render_panel

GOODWILL = "support/adjustments/goodwill.html"


class GoodwillForm(forms.Form):
    amount = forms.CharField(label=gettext_lazy("Store credit"), max_length=24)
    reason_code = reason_field(OrderAdjustment.Reason.choices, gettext_lazy("Reason code"))
    note = note_field()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["amount"].widget.attrs.update(inputmode="decimal", autocomplete="off")


@console_view("adjust_prices")
def order_goodwill(request: HttpRequest, number: str) -> HttpResponse:
    """Goodwill credit: store credit for the order's customer, in the order's currency."""
    order = get_order(number)
    balance = credit_selectors.balance(order.customer_id, order.currency)
    context = {"order": order, "balance": balance}
    if request.method != "POST":
        return render_panel(request, GOODWILL, {**context, "form": GoodwillForm()})
    form = GoodwillForm(request.POST)
    context["form"] = form
    if not form.is_valid():
        return render_panel(request, GOODWILL, context, status=400)
    data = form.cleaned_data
    try:
        amount = adjustments.validate_goodwill(
            order=order,
            amount=amount_text(data["amount"]),
            reason_code=data["reason_code"],
            note=data["note"],
        )
        if request.POST.get("confirm"):
            outcome = approval_services.request_goodwill(
                user=request.user,
                order=order,
                amount=amount,
                reason_code=data["reason_code"],
                note=data["note"],
                case=active_case(request),
            )
            if not outcome.is_applied:
                return done(request, order, queued_message(outcome, order))
            return done(
                request,
                order,
                _("%(amount)s of store credit given; the customer is emailed.")
                % {"amount": format_money(amount, order.currency)},
            )
        decision = decide_authority(
            user=request.user, action=ActionKind.GOODWILL_CREDIT, order=order, amount=amount
        )
    except DomainError as exc:
        add_domain_error(form, exc)
        return render_panel(request, GOODWILL, context, status=refusal_status(exc))
    context.update(amount=amount, decision=decision, balance_after=balance + amount)
    return render_panel(request, GOODWILL, context)
