"""The reship panel: choose shipped units to send again at no charge, then place or request it."""

from django import forms
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _

from oms.exceptions import DomainError, InvalidTransition
from orders.models import Order, OrderLine
from orders.services import replacement
from support.access import console_view
from support.context import active_case
from support.errors import add_domain_error
from support.models import ActionKind
from support.services import approvals as approval_services
from support.services.authority import decide_authority
from support.views.adjustments.panels import (
    note_field,
    queued_message,
    reason_field,
    refusal_status,
)
from support.views.order_panels import done, get_order, render_panel

RESHIP = "support/adjustments/reship.html"


class ReshipForm(forms.Form):
    reason = reason_field(replacement.ReplacementReason.choices)
    note = note_field()

    def __init__(self, *args, lines: list[OrderLine], room: dict[int, int], **kwargs):
        super().__init__(*args, **kwargs)
        self.rows = []
        for line in lines:
            if line.quantity_shipped == 0:
                continue
            name = f"qty_{line.pk}"
            self.fields[name] = forms.IntegerField(
                label=_("Units of %(sku)s") % {"sku": line.sku},
                required=False,
                min_value=0,
                max_value=room.get(line.pk, 0),
            )
            self.rows.append((line, self[name], room.get(line.pk, 0)))

    def chosen(self) -> list[tuple[int, int]]:
        return [
            (line.pk, self.cleaned_data.get(f"qty_{line.pk}") or 0)
            for line, _field, _room in self.rows
            if self.cleaned_data.get(f"qty_{line.pk}")
        ]


@console_view("reship")
def order_reship(request: HttpRequest, number: str) -> HttpResponse:
    """Send shipped units again at no charge: a linked replacement order."""
    order = get_order(number)
    lines = list(OrderLine.objects.filter(order=order).order_by("line_number"))
    room = replacement.replaceable_units(order, lines)
    context = {"order": order}
    if request.method != "POST":
        initial = {f"qty_{request.GET['line']}": 1} if request.GET.get("line") else {}
        form = ReshipForm(lines=lines, room=room, initial=initial)
        return render_panel(request, RESHIP, {**context, "form": form})
    form = ReshipForm(request.POST, lines=lines, room=room)
    context["form"] = form
    if not form.is_valid():
        return render_panel(request, RESHIP, context, status=400)
    data = form.cleaned_data
    try:
        if order.status == Order.Status.CANCELLED:
            raise InvalidTransition(
                _("Order %(number)s is cancelled; nothing of it can be replaced.")
                % {"number": order.number},
                code="order_not_replaceable",
            )
        plan = replacement.plan_replacement(
            order=order, lines=form.chosen(), reason=data["reason"], note=data["note"]
        )
        if request.POST.get("confirm"):
            outcome = approval_services.request_reship(
                user=request.user,
                order=order,
                lines=form.chosen(),
                reason=data["reason"],
                note=data["note"],
                case=active_case(request),
            )
            if not outcome.is_applied:
                return done(request, order, queued_message(outcome, order))
            return done(
                request,
                order,
                _("Replacement order #%(number)s placed at no charge.")
                % {"number": outcome.replacement.number},
            )
        decision = decide_authority(
            user=request.user, action=ActionKind.RESHIP, order=order, amount=plan.value
        )
    except DomainError as exc:
        add_domain_error(form, exc)
        return render_panel(request, RESHIP, context, status=refusal_status(exc))
    context.update(plan=plan, decision=decision)
    return render_panel(request, RESHIP, context)
