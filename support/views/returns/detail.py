"""The return page, its photos (served to console users only) and linking a return to the
rep's active case."""

from functools import partial

from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from oms.exceptions import NotFound
from returns.models import Resolution, ReturnRequest, ReturnStatus
from returns.models.returns import CANCELLABLE_STATUSES, OPEN_STATUSES
from support.access import actor_for, can, console_view
from support.context import active_case
from support.selectors import returns as selectors
from support.services.case_links import record_action
from support.views.returns.panels import done, get_return
from support.views.returns.receive import inspectable

TEMPLATE = "support/returns/detail.html"
# Where the money for a return may still be released (the service decides how much).
RELEASABLE = frozenset(
    {ReturnStatus.APPROVED, ReturnStatus.IN_TRANSIT, ReturnStatus.RECEIVED, ReturnStatus.INSPECTED}
)


def return_actions(return_request: ReturnRequest, can_do) -> dict[str, bool]:
    """Which buttons the return page shows: the permission AND the return's state allow it.
    The services check the state again when the action is taken."""
    status = return_request.status
    acts = can_do("act_on_orders")
    receives = can_do("receive_returns")
    return {
        "approve": can_do("review_returns") and status == ReturnStatus.REQUESTED,
        "reject": can_do("review_returns") and status == ReturnStatus.REQUESTED,
        "cancel": acts and status in CANCELLABLE_STATUSES,
        "release": acts and status in RELEASABLE and not return_request.is_keep_it,
        "receive": receives
        and status in (ReturnStatus.APPROVED, ReturnStatus.IN_TRANSIT)
        and not return_request.is_keep_it,
        "inspect": receives and inspectable(return_request),
        "is_open": status in OPEN_STATUSES,
    }


def release_label(return_request: ReturnRequest) -> str:
    return {
        Resolution.REFUND: _("Release refund"),
        Resolution.STORE_CREDIT: _("Release store credit"),
        Resolution.EXCHANGE: _("Settle exchange"),
    }.get(return_request.resolution, _("Release"))


@console_view("use_console")
def return_detail(request: HttpRequest, rma: str) -> HttpResponse:
    """Everything about one return. `?fragment=body` answers the page's body alone, which the
    page fetches again on live events and after an action (`return:changed`)."""
    try:
        view = selectors.get_console_return(rma)
    except NotFound as exc:
        raise Http404(str(exc)) from None
    return_request = view.return_request
    context = {
        "view": view,
        "return": return_request,
        "order": return_request.order,
        "acts": return_actions(return_request, partial(can, request.user)),
        "release_label": release_label(return_request),
        "nav": "returns",
    }
    if request.htmx and request.GET.get("fragment") == "body":
        return render(request, f"{TEMPLATE}#body", context)
    return render(request, TEMPLATE, context)


@console_view("use_console")
def return_photo(request: HttpRequest, rma: str, photo_id: int) -> HttpResponse:
    """A customer's photo of a return line. Media files are not public: the file is streamed
    from storage after the console check, never linked directly."""
    try:
        photo = selectors.get_photo(rma, photo_id)
    except NotFound as exc:
        raise Http404(str(exc)) from None
    try:
        handle = photo.image.open("rb")
    except (FileNotFoundError, OSError):
        raise Http404(_("The photo file is missing.")) from None
    response = FileResponse(handle, content_type=photo.content_type or "application/octet-stream")
    response["Cache-Control"] = "private, max-age=3600"
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


def _not_linked(request: HttpRequest, return_request: ReturnRequest, text: str) -> HttpResponse:
    if request.htmx:
        response = HttpResponse(text, status=409)
        response["HX-Retarget"] = "#flash"
        return response
    messages.error(request, text)
    return redirect("console:return-detail", rma=return_request.rma)


@console_view("use_console")
def return_link_case(request: HttpRequest, rma: str) -> HttpResponse:
    """Note the return on the rep's active case (the case page lists it with the order). Only
    a case about the return's customer takes it."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    return_request = get_return(rma)
    case = active_case(request)
    if case is None:
        return _not_linked(
            request, return_request, _("You are not working on a case: open or pick one first.")
        )
    if case.customer_id != return_request.customer_id:
        return _not_linked(
            request,
            return_request,
            _("Case %(case)s is about another customer: this return is not theirs.")
            % {"case": case.reference},
        )
    record_action(
        case=case,
        actor=actor_for(request),
        action="return_linked",
        summary=_("Return %(rma)s (%(status)s) linked to the case.")
        % {"rma": return_request.rma, "status": return_request.get_status_display()},
        order=return_request.order,
        data={"rma": return_request.rma},
    )
    return done(
        request,
        return_request,
        _("Return %(rma)s is now on case %(case)s.")
        % {"rma": return_request.rma, "case": case.reference},
    )
