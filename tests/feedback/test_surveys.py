"""The return-experience survey (1-5): answered once from its link, scores checked, and the
answer on the order's timeline and in the outbox."""

import pytest

from feedback.models import SurveyResponse
from feedback.services import surveys
from notifications.models import OutboxMessage
from oms.exceptions import Conflict, NotFound, ValidationFailed
from orders.models import OrderEvent
from tests.feedback.asking import asked, asked_about_return, delivered_order, token

pytestmark = pytest.mark.django_db


def test_the_return_survey_is_answered_once():
    order = delivered_order()
    feedback_request = asked_about_return(order)

    response = surveys.answer_return_survey(
        token=token(feedback_request), score=2, comment=" Label was hard to print "
    )

    assert (response.kind, response.score, response.comment) == (
        "return_experience",
        2,
        "Label was hard to print",
    )
    assert (response.order, response.customer_id) == (order, order.customer_id)
    (message,) = OutboxMessage.objects.filter(event_type="feedback.survey_answered")
    assert message.payload["event"]["rma"] == feedback_request.return_request.rma
    assert OrderEvent.objects.filter(order=order, reason="survey answered").count() == 1
    with pytest.raises(Conflict):
        surveys.answer_return_survey(token=token(feedback_request), score=5)
    assert SurveyResponse.objects.count() == 1


@pytest.mark.parametrize("score", [0, 6, None, "3"])
def test_a_return_score_outside_one_to_five_is_refused(score):
    order = delivered_order()
    feedback_request = asked_about_return(order)

    with pytest.raises(ValidationFailed):
        surveys.answer_return_survey(token=token(feedback_request), score=score)
    assert not SurveyResponse.objects.exists()
    assert not OutboxMessage.objects.filter(event_type="feedback.survey_answered").exists()


def test_a_review_link_does_not_open_the_return_survey():
    order = delivered_order()
    review_request = asked(order)

    with pytest.raises(NotFound):
        surveys.answer_return_survey(token=token(review_request), score=4)
    assert not SurveyResponse.objects.exists()
