"""The plumbing every order action panel shares: the panel alone for htmx or inside the console
layout without JS, refusals re-rendered on the form, success as 204 + HX-Trigger (or a redirect
with a message), and the link to the rep's active case in the action's transaction."""

import json
from collections.abc import Callable

from django import forms
from django.contrib import messages
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy

from oms.exceptions import Conflict, DomainError, NotFound
from orders import selectors as order_selectors
from orders.models import Order
from support.access import actor_for
from support.context import active_case
from support.errors import add_domain_error
from support.services.case_links import record_action

PAGE = "support/order_actions/page.html"
REASON_MAX = 255


# --- Shared panel plumbing ---------------------------------------------------------------------


def get_order(number: str) -> Order:
    try:
        return order_selectors.get_order(number)
    except NotFound as exc:
        raise Http404(str(exc)) from None


def render_panel(
    request: HttpRequest, template: str, context: dict, *, status: int = 200
) -> HttpResponse:
    """The panel alone for htmx; inside the console layout for a plain request (no JS)."""
    context = {"panel_template": template, "nav": "orders", **context}
    return render(request, template if request.htmx else PAGE, context, status=status)


def refused(request, template: str, context: dict, form, exc: DomainError) -> HttpResponse:
    """Re-render the panel with the service's refusal on the form; nothing has changed."""
    add_domain_error(form, exc)
    status = 409 if isinstance(exc, Conflict) else 400
    return render_panel(request, template, {**context, "form": form}, status=status)


def done(request: HttpRequest, order: Order, message: str) -> HttpResponse:
    if request.htmx:
        response = HttpResponse(status=204)
        # htmx fires these in order on the form; closing the panel detaches the form, so it
        # goes last or the other events would not bubble up to <body>.
        response["HX-Trigger"] = json.dumps(
            {"order:changed": True, "flash": message, "panel:close": True}
        )
        return response
    messages.success(request, message)
    return redirect("console:order-detail", number=order.number)


def act(request: HttpRequest, order: Order, action: str, summary: str, work: Callable, **data):
    """Run `work()` and link it to the rep's active case, in one transaction."""
    actor = actor_for(request)
    case = active_case(request)
    with transaction.atomic():
        result = work(actor)
        record_action(
            case=case, actor=actor, action=action, summary=summary, order=order, data=data
        )
    return result


def reason_field(label=None, required: bool = True) -> forms.CharField:
    return forms.CharField(
        label=label or gettext_lazy("Reason"),
        max_length=REASON_MAX,
        required=required,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
