"""What the return action panels share: the panel alone for htmx or inside the console layout
without JavaScript, refusals re-rendered on the form with the service's status, success as
204 + HX-Trigger (or a redirect with a message), and the link to the rep's active case in the
action's own transaction."""

import json
from collections.abc import Callable

from django.contrib import messages
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from oms.exceptions import DomainError, NotFound
from returns.models import ReturnRequest
from support.access import actor_for
from support.context import active_case
from support.errors import add_domain_error
from support.services.case_links import record_action

PAGE = "support/returns/panel_page.html"


def get_return(rma: str) -> ReturnRequest:
    """The return by its RMA (with its order and customer), or 404."""
    found = (
        ReturnRequest.objects.select_related("order", "customer", "warehouse")
        .filter(rma=(rma or "").strip().upper())
        .first()
    )
    if found is None:
        raise Http404(str(NotFound(f"Return {rma} does not exist.")))
    return found


def render_panel(
    request: HttpRequest, template: str, context: dict, *, status: int = 200
) -> HttpResponse:
    context = {"panel_template": template, "nav": "returns", **context}
    return render(request, template if request.htmx else PAGE, context, status=status)


def refusal_status(exc: DomainError) -> int:
    return exc.status if exc.status in (400, 403, 404, 409) else 400


def refused(request, template: str, context: dict, form, exc: DomainError) -> HttpResponse:
    """Re-render the panel with the refusal on the form; the service changed nothing."""
    add_domain_error(form, exc)
    return render_panel(request, template, {**context, "form": form}, status=refusal_status(exc))


def done(request: HttpRequest, return_request: ReturnRequest, message: str) -> HttpResponse:
    if request.htmx:
        response = HttpResponse(status=204)
        # The panel closes last: closing it detaches the form the other events bubble from.
        response["HX-Trigger"] = json.dumps(
            {"return:changed": True, "flash": message, "panel:close": True}
        )
        return response
    messages.success(request, message)
    return redirect("console:return-detail", rma=return_request.rma)


def act(
    request: HttpRequest,
    return_request: ReturnRequest,
    action: str,
    summary: str,
    work: Callable,
    **data,
):
    """Run `work(actor)` and note it on the rep's active case, in one transaction."""
    actor = actor_for(request)
    case = active_case(request)
    with transaction.atomic():
        result = work(actor)
        record_action(
            case=case,
            actor=actor,
            action=action,
            summary=summary,
            order=return_request.order,
            data={"rma": return_request.rma, **data},
        )
    return result
