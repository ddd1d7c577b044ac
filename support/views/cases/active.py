"""The rep's active case: starting and stopping work on a case."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from support.access import console_view
from support.context import set_active_case
from support.models import Case
from support.views.cases.page import case_or_404


def _back(request: HttpRequest, default: str) -> str:
    target = request.POST.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


@console_view("use_console")
@require_POST
def case_activate(request: HttpRequest, case_id: int) -> HttpResponse:
    """Work on this case: console actions taken from now on are linked to it."""
    case = case_or_404(case_id)
    if case.status == Case.Status.RESOLVED:
        messages.error(request, _("A resolved case cannot be worked on. Reopen it first."))
    else:
        set_active_case(request, case)
        messages.success(
            request,
            _("You are working on case %(reference)s.") % {"reference": case.reference},
        )
    target = _back(request, reverse("console:case-detail", kwargs={"case_id": case.pk}))
    if request.htmx:
        response = HttpResponse(status=204)
        response["HX-Redirect"] = target
        return response
    return redirect(target)


@console_view("use_console")
@require_POST
def case_deactivate(request: HttpRequest) -> HttpResponse:
    """Stop working on the active case (it stays as it is)."""
    set_active_case(request, None)
    target = _back(request, reverse("console:cases"))
    if request.htmx:
        response = HttpResponse(status=204)
        response["HX-Redirect"] = target
        return response
    return redirect(target)
