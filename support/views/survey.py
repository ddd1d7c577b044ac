"""The customer's satisfaction survey for a resolved case: a public page reached by the signed
link in the survey email, answered once, in the customer's language."""

from django import forms
from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from oms.exceptions import Conflict, NotFound, ValidationFailed
from support import links
from support.models import Case
from support.services import cases as case_services

# Shown left to right, as customers read a 1-5 scale.
SCORES = [
    (1, _("Very dissatisfied")),
    (2, _("Dissatisfied")),
    (3, _("Neutral")),
    (4, _("Satisfied")),
    (5, _("Very satisfied")),
]
SCORE_VALUES = {str(value) for value, _label in SCORES}


class SurveyForm(forms.Form):
    score = forms.TypedChoiceField(
        choices=[(value, label) for value, label in SCORES],
        coerce=int,
        error_messages={"required": _("Choose how satisfied you are, from 1 to 5.")},
    )
    comment = forms.CharField(
        required=False, max_length=case_services.COMMENT_MAX, widget=forms.Textarea
    )


def _speak_their_language(request: HttpRequest, case: Case) -> None:
    """The language the survey email was written in, unless the customer chose another."""
    if settings.LANGUAGE_COOKIE_NAME not in request.COOKIES:
        translation.activate(case_services.case_locale(case))
        request.LANGUAGE_CODE = translation.get_language()


def _page(request: HttpRequest, template: str, context: dict, status: int = 200) -> HttpResponse:
    context = {"store_name": getattr(settings, "OMS_STORE_NAME", ""), **context}
    response = render(request, f"support/survey/{template}", context, status=status)
    response["X-Robots-Tag"] = "noindex"  # a personal page: keep it out of search engines
    return response


def _closed(request: HttpRequest, error: NotFound | Conflict) -> HttpResponse:
    """A polite dead end: the link is unknown (404), or expired or already used (410)."""
    status = 404 if isinstance(error, NotFound) else 410
    return _page(request, "closed.html", {"reason": error.code}, status=status)


@never_cache
@require_http_methods(["GET", "POST"])
def survey(request: HttpRequest, token: str) -> HttpResponse:
    try:
        case = case_services.case_for_survey(token)
    except (NotFound, Conflict) as exc:
        return _closed(request, exc)
    _speak_their_language(request, case)
    if request.method == "POST":
        form = SurveyForm(request.POST)
        if form.is_valid():
            try:
                case_services.record_survey_answer(
                    token=token,
                    score=form.cleaned_data["score"],
                    comment=form.cleaned_data["comment"],
                )
            except (NotFound, Conflict) as exc:
                return _closed(request, exc)
            except ValidationFailed as exc:
                for item in exc.errors:
                    form.add_error(item.get("field") or None, item.get("message", ""))
            else:
                return redirect(reverse("case-survey-thanks", kwargs={"token": token}))
        status = 400
    else:
        # The email's buttons preselect a score; only the customer's own submit records it
        # (mail scanners open links too).
        chosen = request.GET.get("score", "")
        form = SurveyForm(initial={"score": int(chosen)} if chosen in SCORE_VALUES else {})
        status = 200
    return _page(
        request,
        "survey.html",
        {"case": case, "form": form, "scores": SCORES, "token": token},
        status=status,
    )


@never_cache
@require_http_methods(["GET"])
def survey_thanks(request: HttpRequest, token: str) -> HttpResponse:
    try:
        case_id = links.case_id_from_token(token)
    except links.SurveyLinkExpired:
        case_id = None
    case = (
        Case.objects.select_related("customer", "order").filter(pk=case_id).first()
        if case_id is not None
        else None
    )
    if case is None:
        raise Http404
    if case.csat_answered_at is None:
        return redirect(reverse("case-survey", kwargs={"token": token}))
    _speak_their_language(request, case)
    return _page(request, "thanks.html", {"case": case})
