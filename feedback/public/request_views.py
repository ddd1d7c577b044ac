"""The customer's pages behind the links in feedback emails: the review page (the order's
reviewable items with stars, text and photos, plus the NPS question) and the return survey
(1-5). No account: the signed link is the key; it works once, in the customer's language.
Used, expired or forged links get a polite page (410 / 404)."""

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from feedback.models import FeedbackRequest, Review
from feedback.services import requests as feedback_requests
from feedback.services import reviews as review_services
from feedback.services import surveys
from oms.exceptions import Conflict, NotFound, ValidationFailed

Kind = FeedbackRequest.Kind
STARS = [1, 2, 3, 4, 5]
NPS_SCORES = list(range(11))
# Shown left to right, as customers read a 1-5 scale.
RETURN_SCORES = [
    (1, _("Very dissatisfied")),
    (2, _("Dissatisfied")),
    (3, _("Neutral")),
    (4, _("Satisfied")),
    (5, _("Very satisfied")),
]


def _speak_their_language(request: HttpRequest, feedback_request: FeedbackRequest) -> None:
    """The language the email was written in (the order's), unless the customer chose another."""
    if settings.LANGUAGE_COOKIE_NAME not in request.COOKIES:
        translation.activate(feedback_request.order.locale or "en")
        request.LANGUAGE_CODE = translation.get_language()


def _page(request: HttpRequest, template: str, context: dict, status: int = 200) -> HttpResponse:
    context = {"store_name": getattr(settings, "OMS_STORE_NAME", ""), **context}
    response = render(request, f"feedback/public/{template}", context, status=status)
    response["X-Robots-Tag"] = "noindex"  # a personal page: keep it out of search engines
    return response


def _closed(request: HttpRequest, error: NotFound | Conflict) -> HttpResponse:
    """A polite dead end: an unknown link (404), or an expired or used one (410)."""
    status = 404 if isinstance(error, NotFound) else 410
    return _page(
        request,
        "closed.html",
        {"reason": error.code, "valid_days": settings.OMS_FEEDBACK_LINK_VALID_FOR.days},
        status=status,
    )


def _int_or_none(value: str | None) -> int | None:
    value = (value or "").strip()
    return int(value) if value.lstrip("-").isdigit() and len(value) < 4 else None


def _errors_by_field(error: ValidationFailed) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    for item in error.errors or [{"field": "", "message": error.message}]:
        errors.setdefault(item.get("field") or "", []).append(item.get("message", ""))
    return errors


# --- Review + NPS ------------------------------------------------------------------------------


def _review_inputs(request: HttpRequest, lines) -> tuple[list, dict[str, list[str]]]:
    """The reviews the customer filled in (a line left untouched is not reviewed) and the
    errors the form itself sees (text or photos without stars)."""
    inputs, errors = [], {}
    for line in lines:
        prefix = f"line-{line.pk}"
        rating_text = request.POST.get(f"{prefix}-rating", "")
        title = request.POST.get(f"{prefix}-title", "")
        body = request.POST.get(f"{prefix}-body", "")
        photos = request.FILES.getlist(f"{prefix}-photos")
        if not rating_text and not title.strip() and not body.strip() and not photos:
            continue
        rating = _int_or_none(rating_text)
        if rating is None:
            errors[f"{prefix}-rating"] = [str(_("Choose from 1 to 5 stars."))]
            continue
        inputs.append(
            review_services.ReviewInput(
                line_id=line.pk, rating=rating, title=title, body=body, photos=tuple(photos)
            )
        )
    return inputs, errors


@never_cache
@require_http_methods(["GET", "POST"])
def review(request: HttpRequest, token: str) -> HttpResponse:
    try:
        feedback_request = feedback_requests.request_for_link(token, kind=Kind.REVIEW)
    except (NotFound, Conflict) as exc:
        return _closed(request, exc)
    _speak_their_language(request, feedback_request)
    lines = feedback_requests.reviewable_lines(feedback_request.order)
    errors: dict[str, list[str]] = {}
    values = request.POST if request.method == "POST" else {}
    status = 200
    if request.method == "POST":
        inputs, errors = _review_inputs(request, lines)
        nps_score = _int_or_none(request.POST.get("nps"))
        if request.POST.get("nps") and nps_score is None:
            errors["nps"] = [str(_("Choose a score from 0 to 10."))]
        if not errors:
            try:
                review_services.answer_review_request(
                    token=token,
                    reviews=inputs,
                    nps_score=nps_score,
                    nps_comment=request.POST.get("comment", ""),
                )
            except (NotFound, Conflict) as exc:
                return _closed(request, exc)
            except ValidationFailed as exc:
                errors = _errors_by_field(exc)
            else:
                return redirect(reverse("feedback-review-thanks", kwargs={"token": token}))
        status = 400
    else:
        # The email's buttons preselect a score; only the customer's own submit records it
        # (mail scanners open links too).
        chosen = _int_or_none(request.GET.get("nps"))
        if chosen is not None and 0 <= chosen <= 10:
            values = {"nps": str(chosen)}
    items = [
        {
            "line": line,
            "prefix": f"line-{line.pk}",
            "rating": str(values.get(f"line-{line.pk}-rating", "")),
            "title": values.get(f"line-{line.pk}-title", ""),
            "body": values.get(f"line-{line.pk}-body", ""),
            "errors": [
                message
                for suffix in ("", "-rating", "-title", "-body", "-photos")
                for message in errors.get(f"line-{line.pk}{suffix}", [])
            ],
        }
        for line in lines
    ]
    return _page(
        request,
        "review.html",
        {
            "feedback_request": feedback_request,
            "order": feedback_request.order,
            "items": items,
            "stars": STARS,
            "nps_scores": NPS_SCORES,
            "nps": str(values.get("nps", "")),
            "comment": values.get("comment", ""),
            "nps_errors": errors.get("nps", []) + errors.get("comment", []),
            "form_errors": errors.get("", []),
            "has_errors": bool(errors),
            "max_photos": settings.OMS_REVIEW_PHOTOS_PER_REVIEW,
            "max_photo_mb": f"{settings.OMS_REVIEW_PHOTO_MAX_BYTES / 1024 / 1024:g}",
            "photo_types": ",".join(settings.OMS_REVIEW_PHOTO_TYPES),
        },
        status=status,
    )


@never_cache
@require_http_methods(["GET"])
def review_thanks(request: HttpRequest, token: str) -> HttpResponse:
    feedback_request = feedback_requests.answered_request_for_link(token, kind=Kind.REVIEW)
    if feedback_request is None:
        return redirect(reverse("feedback-review", kwargs={"token": token}))
    _speak_their_language(request, feedback_request)
    reviewed = list(
        Review.objects.filter(request=feedback_request)
        .order_by("line__line_number")
        .values_list("line__name", "rating")
    )
    return _page(
        request,
        "thanks.html",
        {
            "feedback_request": feedback_request,
            "order": feedback_request.order,
            "reviewed": reviewed,
        },
    )


# --- Return survey -----------------------------------------------------------------------------


@never_cache
@require_http_methods(["GET", "POST"])
def return_survey(request: HttpRequest, token: str) -> HttpResponse:
    try:
        feedback_request = feedback_requests.request_for_link(token, kind=Kind.RETURN_SURVEY)
    except (NotFound, Conflict) as exc:
        return _closed(request, exc)
    _speak_their_language(request, feedback_request)
    errors: dict[str, list[str]] = {}
    score = ""
    comment = ""
    status = 200
    if request.method == "POST":
        score = request.POST.get("score", "")
        comment = request.POST.get("comment", "")
        value = _int_or_none(score)
        if value is None:
            errors["score"] = [str(_("Choose a score from 1 to 5."))]
        else:
            try:
                surveys.answer_return_survey(token=token, score=value, comment=comment)
            except (NotFound, Conflict) as exc:
                return _closed(request, exc)
            except ValidationFailed as exc:
                errors = _errors_by_field(exc)
            else:
                return redirect(reverse("feedback-return-survey-thanks", kwargs={"token": token}))
        status = 400
    else:
        chosen = _int_or_none(request.GET.get("score"))
        score = str(chosen) if chosen is not None and 1 <= chosen <= 5 else ""
    return _page(
        request,
        "return_survey.html",
        {
            "feedback_request": feedback_request,
            "order": feedback_request.order,
            "return_request": feedback_request.return_request,
            "scores": RETURN_SCORES,
            "score": score,
            "comment": comment,
            "score_errors": errors.get("score", []),
            "comment_errors": errors.get("comment", []),
        },
        status=status,
    )


@never_cache
@require_http_methods(["GET"])
def return_survey_thanks(request: HttpRequest, token: str) -> HttpResponse:
    feedback_request = feedback_requests.answered_request_for_link(token, kind=Kind.RETURN_SURVEY)
    if feedback_request is None:
        return redirect(reverse("feedback-return-survey", kwargs={"token": token}))
    _speak_their_language(request, feedback_request)
    return _page(
        request,
        "thanks.html",
        {"feedback_request": feedback_request, "order": feedback_request.order, "reviewed": []},
    )
