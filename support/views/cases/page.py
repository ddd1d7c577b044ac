"""A case's page (timeline, FCR state, other cases) and its forms: notes, contacts, status."""

import json

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from oms.exceptions import Conflict, DomainError, NotFound
from orders.models import Order
from support.access import actor_for, console_view
from support.context import active_case, set_active_case
from support.errors import add_domain_error
from support.models import Case
from support.selectors import cases as case_selectors
from support.services import cases as case_services

OTHER_CASES_SHOWN = 6


class NoteForm(forms.Form):
    text = forms.CharField(
        label=gettext_lazy("Note"),
        max_length=case_services.TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class ContactForm(forms.Form):
    channel = forms.ChoiceField(label=gettext_lazy("Channel"), choices=Case.Channel.choices)
    note = forms.CharField(
        label=gettext_lazy("What did the customer say?"),
        required=False,
        max_length=case_services.TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class StatusForm(forms.Form):
    status = forms.ChoiceField(label=gettext_lazy("New status"), choices=Case.Status.choices)
    resolution = forms.CharField(
        label=gettext_lazy("Resolution"),
        required=False,
        max_length=case_services.TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("Required to resolve: what was done for the customer."),
    )
    send_survey = forms.BooleanField(
        label=gettext_lazy("Send the satisfaction survey"), required=False, initial=True
    )

    def __init__(self, *args, case: Case, **kwargs):
        super().__init__(*args, **kwargs)
        allowed = case_services.TRANSITIONS[case.status]
        self.fields["status"].choices = [
            (value, label) for value, label in Case.Status.choices if value in allowed
        ]
        if not self.is_bound:
            self.initial.setdefault(
                "status",
                Case.Status.RESOLVED if Case.Status.RESOLVED in allowed else Case.Status.OPEN,
            )


def case_or_404(case_id: int) -> Case:
    """The case, or a 404 page when there is no such case."""
    try:
        return case_selectors.get_case(case_id)
    except NotFound:
        raise Http404(_("This case does not exist.")) from None


def _hx_trigger(**events) -> str:
    return json.dumps(events)


def _form_status(exc: DomainError | None) -> int:
    return 409 if isinstance(exc, Conflict) else 400


def _order_summary(order: Order | None) -> dict | None:
    if order is None:
        return None
    return {"order": order, "shipments": list(order.shipments.all())}


def _labelled(events: list) -> list:
    """Events carry raw statuses and channels; the timeline shows their labels."""
    statuses, channels = dict(Case.Status.choices), dict(Case.Channel.choices)
    for event in events:
        event.from_label = statuses.get(event.data.get("from"), "")
        event.to_label = statuses.get(event.data.get("to"), "")
        event.channel_label = channels.get(event.data.get("channel"), "")
    return events


def _detail_context(request: HttpRequest, case: Case, **forms_) -> dict:
    other_cases = case_selectors.list_cases(
        customer=case.customer_id, per_page=OTHER_CASES_SHOWN + 1
    )
    current = active_case(request)
    return {
        "nav": "cases",
        "case": case,
        "timeline": _labelled(case_selectors.case_timeline(case)),
        "summary": _order_summary(case.order),
        "other_cases": [c for c in other_cases.cases if c.pk != case.pk][:OTHER_CASES_SHOWN],
        "is_active": current is not None and current.pk == case.pk,
        "note_form": forms_.get("note_form") or NoteForm(),
        "contact_form": forms_.get("contact_form")
        or ContactForm(initial={"channel": case.channel}),
        "status_form": forms_.get("status_form") or StatusForm(case=case),
    }


def _render_detail(request: HttpRequest, case: Case, status: int = 200, **forms_) -> HttpResponse:
    return render(
        request,
        "support/cases/detail.html",
        _detail_context(request, case, **forms_),
        status=status,
    )


def _action_response(
    request: HttpRequest,
    case: Case,
    *,
    partial: str,
    form: forms.Form,
    form_key: str,
    flash: str,
    exc: DomainError | None = None,
    ok: bool,
) -> HttpResponse:
    """The answer to a form on the case page. htmx: the form again (fresh on success, with
    errors at 400/409 otherwise) and, on success, events that refresh the page's live parts.
    Without htmx: back to the case with a message, or the whole page with the errors."""
    if request.htmx:
        case = case_or_404(case.pk)
        response = render(
            request,
            f"support/cases/detail.html#{partial}",
            {"case": case, form_key: form},
            status=200 if ok else _form_status(exc),
        )
        if ok:
            response["HX-Trigger"] = _hx_trigger(**{"case:changed": True, "flash": flash})
        return response
    if ok:
        messages.success(request, flash)
        return redirect("console:case-detail", case_id=case.pk)
    return _render_detail(
        request, case_or_404(case.pk), status=_form_status(exc), **{form_key: form}
    )


@console_view("use_console")
def case_detail(request: HttpRequest, case_id: int) -> HttpResponse:
    """The case: its timeline (with every action taken from it), the customer and the order,
    FCR state and the satisfaction answer; forms for a note, another contact, a status."""
    case = case_or_404(case_id)
    fragment = request.GET.get("fragment")
    if fragment in ("summary", "timeline"):
        context = {"case": case}
        if fragment == "timeline":
            context["timeline"] = _labelled(case_selectors.case_timeline(case))
        return render(request, f"support/cases/detail.html#{fragment}", context)
    return _render_detail(request, case)


@console_view("use_console")
def case_note(request: HttpRequest, case_id: int) -> HttpResponse:
    case = case_or_404(case_id)
    if request.method != "POST":
        return redirect("console:case-detail", case_id=case.pk)
    form = NoteForm(request.POST)
    exc = None
    if form.is_valid():
        try:
            case_services.add_note(
                case=case, text=form.cleaned_data["text"], actor=actor_for(request)
            )
        except DomainError as error:
            exc = error
            add_domain_error(form, error)
        else:
            return _action_response(
                request,
                case,
                partial="note-form",
                form=NoteForm(),
                form_key="note_form",
                flash=_("Note added."),
                ok=True,
            )
    return _action_response(
        request,
        case,
        partial="note-form",
        form=form,
        form_key="note_form",
        flash="",
        exc=exc,
        ok=False,
    )


@console_view("use_console")
def case_contact(request: HttpRequest, case_id: int) -> HttpResponse:
    """The customer got in touch again about this case (it reopens if it was resolved)."""
    case = case_or_404(case_id)
    if request.method != "POST":
        return redirect("console:case-detail", case_id=case.pk)
    form = ContactForm(request.POST)
    exc = None
    if form.is_valid():
        try:
            updated = case_services.log_contact(
                case=case,
                channel=form.cleaned_data["channel"],
                note=form.cleaned_data["note"],
                actor=actor_for(request),
            )
        except DomainError as error:
            exc = error
            add_domain_error(form, error)
        else:
            flash = (
                _("Contact recorded; the case is open again.")
                if updated.status != case.status
                else _("Contact recorded.")
            )
            return _action_response(
                request,
                updated,
                partial="contact-form",
                form=ContactForm(initial={"channel": form.cleaned_data["channel"]}),
                form_key="contact_form",
                flash=flash,
                ok=True,
            )
    return _action_response(
        request,
        case,
        partial="contact-form",
        form=form,
        form_key="contact_form",
        flash="",
        exc=exc,
        ok=False,
    )


@console_view("use_console")
def case_status(request: HttpRequest, case_id: int) -> HttpResponse:
    """Move the case to open, waiting on the customer or resolved (with a resolution, and the
    satisfaction survey if ticked)."""
    case = case_or_404(case_id)
    if request.method != "POST":
        return redirect("console:case-detail", case_id=case.pk)
    form = StatusForm(request.POST, case=case)
    exc = None
    if form.is_valid():
        data = form.cleaned_data
        try:
            updated = case_services.change_status(
                case=case,
                to=data["status"],
                resolution=data["resolution"],
                send_survey=data["send_survey"],
                actor=actor_for(request),
            )
        except DomainError as error:
            exc = error
            add_domain_error(form, error)
        else:
            if updated.status == Case.Status.RESOLVED:
                flash = (
                    _("Case resolved; the satisfaction survey is on its way.")
                    if updated.csat_sent_at and data["send_survey"]
                    else _("Case resolved.")
                )
                current = active_case(request)
                if current is not None and current.pk == updated.pk:
                    set_active_case(request, None)
            else:
                flash = _("Status changed to “%(status)s”.") % {
                    "status": updated.get_status_display()
                }
            return _action_response(
                request,
                updated,
                partial="status-form",
                form=StatusForm(case=updated),
                form_key="status_form",
                flash=flash,
                ok=True,
            )
    return _action_response(
        request,
        case,
        partial="status-form",
        form=form,
        form_key="status_form",
        flash="",
        exc=exc,
        ok=False,
    )
