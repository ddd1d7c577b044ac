"""The price adjustment and shipping waiver panel: preview the new totals and the money effect,
then apply or send for approval."""

from decimal import Decimal, InvalidOperation

from django import forms
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from oms.exceptions import DomainError, ValidationFailed
from orders.models import Order, OrderAdjustment, OrderLine
from orders.services import adjustments
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

ADJUST = "support/adjustments/adjust.html"


class AdjustForm(forms.Form):
    target = forms.ChoiceField(label=gettext_lazy("Adjust"))
    amount = forms.CharField(label=gettext_lazy("Amount"), required=False, max_length=24)
    percentage = forms.CharField(label=gettext_lazy("or percentage"), required=False, max_length=8)
    reason_code = reason_field(OrderAdjustment.Reason.choices, gettext_lazy("Reason code"))
    note = note_field()

    def __init__(self, *args, order: Order, lines: list[OrderLine], **kwargs):
        super().__init__(*args, **kwargs)
        self.order = order
        choices = [("order", _("Whole order"))]
        if order.shipping_total > 0:
            choices.append(("shipping", _("Shipping fee (waive it)")))
        for line in lines:
            if line.quantity_active:
                choices.append(
                    (
                        f"line-{line.pk}",
                        _("Line %(number)s · %(sku)s · %(name)s")
                        % {"number": line.line_number, "sku": line.sku, "name": line.name},
                    )
                )
        self.fields["target"].choices = choices
        self.fields["amount"].widget.attrs.update(inputmode="decimal", autocomplete="off")
        self.fields["percentage"].widget.attrs.update(inputmode="decimal", autocomplete="off")

    def clean(self):
        data = super().clean()
        amount = amount_text(data.get("amount"))
        percentage = amount_text(data.get("percentage"))
        if amount and percentage:
            self.add_error("percentage", _("Enter an amount or a percentage, not both."))
        if data.get("target") == "shipping" and percentage:
            self.add_error("percentage", _("A shipping waiver is an amount (empty: all of it)."))
        data["amount"], data["percentage"] = amount or None, percentage or None
        return data

    @property
    def action(self) -> str:
        target = self.cleaned_data["target"]
        return ActionKind.FEE_WAIVER if target == "shipping" else ActionKind.PRICE_ADJUSTMENT

    @property
    def line_id(self) -> int | None:
        target = self.cleaned_data["target"]
        return int(target.removeprefix("line-")) if target.startswith("line-") else None


def _plan_adjustment(form: AdjustForm, order: Order, amount=None):
    data = form.cleaned_data
    is_waiver = form.action == ActionKind.FEE_WAIVER
    return adjustments.plan_price_adjustment(
        order=order,
        line=form.line_id,
        amount=data["amount"] if amount is None else amount,
        percentage=None if is_waiver else data["percentage"],
        reason_code=data["reason_code"],
        note=data["note"],
        kind=OrderAdjustment.Kind.SHIPPING_REFUND
        if is_waiver
        else OrderAdjustment.Kind.PRICE_ADJUSTMENT,
    )


def _submit_adjustment(request: HttpRequest, form: AdjustForm, order: Order, amount):
    data = form.cleaned_data
    common = {
        "user": request.user,
        "order": order,
        "reason_code": data["reason_code"],
        "note": data["note"],
        "case": active_case(request),
    }
    if form.action == ActionKind.FEE_WAIVER:
        return approval_services.request_fee_waiver(amount=amount, **common)
    return approval_services.request_price_adjustment(
        line=form.line_id, amount=amount, percentage=data["percentage"], **common
    )


@console_view("adjust_prices")
def order_adjust(request: HttpRequest, number: str) -> HttpResponse:
    """The price adjustment panel: a line, the whole order or the shipping fee; an amount or a
    percentage; a reason code and a note."""
    order = get_order(number)
    lines = list(OrderLine.objects.filter(order=order).order_by("line_number"))
    context = {"order": order}
    if request.method != "POST":
        initial = {"target": f"line-{request.GET['line']}"} if request.GET.get("line") else {}
        form = AdjustForm(order=order, lines=lines, initial=initial)
        return render_panel(request, ADJUST, {**context, "form": form})
    form = AdjustForm(request.POST, order=order, lines=lines)
    context["form"] = form
    if not form.is_valid():
        return render_panel(request, ADJUST, context, status=400)
    try:
        plan = _plan_adjustment(form, order)
        if request.POST.get("confirm"):
            expected = amount_text(request.POST.get("expected_amount", ""))
            if expected and _decimal(expected) != plan.amount:
                raise _changed_since_preview()
            outcome = _submit_adjustment(request, form, order, plan.amount)
            if outcome.is_applied:
                return done(request, order, _adjusted_message(plan, order))
            return done(request, order, queued_message(outcome, order))
        decision = decide_authority(
            user=request.user, action=form.action, order=order, amount=plan.amount
        )
    except DomainError as exc:
        add_domain_error(form, exc)
        return render_panel(request, ADJUST, context, status=refusal_status(exc))
    context.update(plan=plan, decision=decision, payment=_payment_label(order))
    return render_panel(request, ADJUST, context)


def _decimal(text: str) -> Decimal | None:
    try:
        return Decimal(text)
    except (InvalidOperation, ValueError):
        return None


def _changed_since_preview() -> ValidationFailed:
    return ValidationFailed(
        _("The amount changed since the preview (the order changed). Preview again."),
        code="changed_since_preview",
    )


def _adjusted_message(plan, order: Order) -> str:
    text = _("Price adjusted by %(amount)s.") % {
        "amount": format_money(plan.amount, order.currency)
    }
    if plan.refund_now:
        text += " " + _("%(refund)s is refunded to the customer now.") % {
            "refund": format_money(plan.refund_now, order.currency)
        }
    if plan.less_to_charge:
        text += " " + _("%(less)s less will be charged.") % {
            "less": format_money(plan.less_to_charge, order.currency)
        }
    return text


def _payment_label(order: Order) -> str:
    payment = order.payments.order_by("pk").first()
    return payment.method_label if payment else ""
