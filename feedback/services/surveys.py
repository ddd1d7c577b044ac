"""Survey answers: the NPS question (0-10, optional comment) on the review page and the return
experience (1-5) after a return closed. Each request takes one answer of each kind (the unique
(request, kind) and the request's row lock); each answer is noted on the order's timeline and
emitted as `feedback.survey_answered`."""

import logging

from django.db import transaction
from django.utils.translation import gettext as _

from feedback.models import FeedbackRequest, SurveyResponse
from feedback.services import requests as feedback_requests
from oms.actors import Actor
from oms.exceptions import Conflict, ValidationFailed
from orders.models import OrderEvent
from orders.services import events as order_events

logger = logging.getLogger(__name__)

COMMENT_MAX = 2000
Kind = SurveyResponse.Kind
SCORE_RANGE = {Kind.NPS: (0, 10), Kind.RETURN_EXPERIENCE: (1, 5)}


def score_errors(kind: str, score, comment: str, *, field_name: str) -> list[dict]:
    low, high = SCORE_RANGE[kind]
    errors = []
    if not isinstance(score, int) or isinstance(score, bool) or not low <= score <= high:
        errors.append(
            {
                "field": field_name,
                "code": "invalid_score",
                "message": _("Choose a score from %(low)s to %(high)s.")
                % {"low": low, "high": high},
            }
        )
    if len((comment or "").strip()) > COMMENT_MAX:
        errors.append(
            {
                "field": "comment",
                "code": "too_long",
                "message": _("Keep it under %(limit)s characters.") % {"limit": COMMENT_MAX},
            }
        )
    return errors


def nps_errors(score: int | None, comment: str) -> list[dict]:
    """Errors of the optional NPS part of the review page (no score: nothing to check, but a
    comment without a score is kept only with a score)."""
    if score is None:
        if (comment or "").strip():
            return [
                {
                    "field": "nps",
                    "code": "score_required",
                    "message": _("Choose a score from 0 to 10 to send your comment."),
                }
            ]
        return []
    return score_errors(Kind.NPS, score, comment, field_name="nps")


def record_answer(
    *, request: FeedbackRequest, kind: str, score: int, comment: str, actor: Actor
) -> SurveyResponse:
    """Write one checked answer of a locked, open request; note it and emit it."""
    if SurveyResponse.objects.filter(request=request, kind=kind).exists():
        raise Conflict(_("We already have your answer."), code="feedback_already_answered")
    comment = (comment or "").strip()
    response = SurveyResponse.objects.create(
        request=request,
        kind=kind,
        score=score,
        comment=comment,
        order_id=request.order_id,
        customer_id=request.customer_id,
    )
    data = {
        "kind": kind,
        "response_id": response.pk,
        "request_id": request.pk,
        "score": score,
        "comment": comment,
    }
    if request.return_request_id:
        data["rma"] = request.return_request.rma
    order_events.record(
        request.order,
        OrderEvent.Type.FEEDBACK,
        actor=actor,
        reason="survey answered",
        data=data,
        notify="feedback.survey_answered",
    )
    logger.info(
        "feedback.survey_answered",
        extra={"response_id": response.pk, "kind": kind, "score": score},
    )
    return response


@transaction.atomic
def answer_return_survey(*, token: str, score: int, comment: str = "") -> SurveyResponse:
    """The customer's rating of a return (1-5, optional comment), from the survey link, once.
    A forged, expired or used link, or a score out of range, is refused and writes nothing."""
    request = feedback_requests.request_for_link(
        token, kind=FeedbackRequest.Kind.RETURN_SURVEY, lock=True
    )
    errors = score_errors(Kind.RETURN_EXPERIENCE, score, comment, field_name="score")
    if errors:
        raise ValidationFailed(errors[0]["message"], code=errors[0]["code"], errors=errors)
    response = record_answer(
        request=request,
        kind=Kind.RETURN_EXPERIENCE,
        score=score,
        comment=comment,
        actor=Actor.for_customer(request.customer),
    )
    feedback_requests.mark_answered(request)
    return response
