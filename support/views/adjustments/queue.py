"""The approval queue: pending and decided requests, approving or rejecting, withdrawing."""

import json

from django.contrib import messages
from django.db.models import Q
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from oms.exceptions import DomainError, ValidationFailed
from support.access import can, console_view
from support.errors import message_for
from support.models import ApprovalRequest
from support.services import approvals as approval_services
from support.templatetags.console import format_money
from support.views.adjustments.panels import refusal_status

QUEUE = "support/adjustments/approvals.html"
DECIDED_SHOWN = 25
FILTERS = {
    "pending": gettext_lazy("Waiting"),
    "decided": gettext_lazy("Decided"),
    "mine": gettext_lazy("My requests"),
}


def _queue_context(request: HttpRequest, show: str) -> dict:
    """The requests to list under a filter, with everything a row shows (bounded queries)."""
    base = ApprovalRequest.objects.select_related(
        "order", "order__customer", "requested_by", "decided_by", "case"
    )
    pending = base.filter(status=ApprovalRequest.Status.PENDING).order_by("requested_at", "id")
    decided = base.exclude(status=ApprovalRequest.Status.PENDING).order_by(
        "-decided_at", "-requested_at", "-id"
    )
    if show == "mine":
        mine = Q(requested_by=request.user)
        pending, decided = pending.filter(mine), decided.filter(mine)
    pending_rows = list(pending[:200]) if show != "decided" else []
    decided_rows = list(decided[: DECIDED_SHOWN * (2 if show == "decided" else 1)])
    return {
        "show": show,
        "filters": FILTERS,
        "pending": pending_rows,
        "decided": decided_rows,
        "can_decide": can(request.user, "approve_requests"),
        "nav": "approvals",
    }


def _render_queue(request: HttpRequest, show: str, *, status: int = 200, error=None):
    context = _queue_context(request, show)
    context["error"] = error  # (request id, message) of a refused decision
    template = f"{QUEUE}#queue" if request.htmx and not request.htmx.boosted else QUEUE
    return render(request, template, context, status=status)


def _show(value: str | None) -> str:
    return value if value in FILTERS else "pending"


@console_view("use_console")
def approvals(request: HttpRequest) -> HttpResponse:
    """The approval queue: waiting requests oldest first, then the latest decisions. Refreshes
    itself on approval events from the live stream."""
    return _render_queue(request, _show(request.GET.get("show")))


def _after_decision(request: HttpRequest, show: str, text: str) -> HttpResponse:
    if request.htmx:
        response = _render_queue(request, show)
        response["HX-Trigger"] = json.dumps({"flash": text})
        return response
    messages.success(request, text)
    return redirect(f"{reverse('console:approvals')}?show={show}")


def _refused(request: HttpRequest, show: str, request_id: int, exc: DomainError) -> HttpResponse:
    text = message_for(exc)
    return _render_queue(request, show, status=refusal_status(exc), error=(request_id, text))


@console_view("approve_requests")
def approval_decide(request: HttpRequest, request_id: int) -> HttpResponse:
    """POST decision=approve|reject with a note (a rejection needs one)."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    show = _show(request.POST.get("show"))
    decision = request.POST.get("decision")
    note = request.POST.get("note", "")
    try:
        if decision == "approve":
            decided = approval_services.approve_request(
                request_id=request_id, user=request.user, note=note
            )
        elif decision == "reject":
            decided = approval_services.reject_request(
                request_id=request_id, user=request.user, note=note
            )
        else:
            raise ValidationFailed(_("Choose approve or reject."), code="decision_required")
    except DomainError as exc:
        return _refused(request, show, request_id, exc)
    texts = {
        ApprovalRequest.Status.APPROVED: _("Approved and applied: %(what)s on order #%(number)s."),
        ApprovalRequest.Status.REJECTED: _("Rejected: %(what)s on order #%(number)s."),
        ApprovalRequest.Status.FAILED: _(
            "Approved, but it could not be applied: %(failure)s (order #%(number)s)."
        ),
    }
    text = texts[decided.status] % {
        "what": f"{decided.get_action_display()} {format_money(decided.amount, decided.currency)}",
        "number": decided.order.number,
        "failure": decided.failure,
    }
    return _after_decision(request, show, text)


@console_view("use_console")
def approval_withdraw(request: HttpRequest, request_id: int) -> HttpResponse:
    """The requester takes back a request still waiting."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    show = _show(request.POST.get("show"))
    try:
        withdrawn = approval_services.withdraw_request(request_id=request_id, user=request.user)
    except DomainError as exc:
        return _refused(request, show, request_id, exc)
    return _after_decision(
        request,
        show,
        _("Request withdrawn: %(what)s on order #%(number)s.")
        % {
            "what": withdrawn.get_action_display(),
            "number": withdrawn.order.number,
        },
    )
