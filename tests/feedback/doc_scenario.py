"""Every feedback event, emitted by the real services: the scenario docs/events.md's examples
are checked against (tests/notifications/test_events_doc.py). One block per owner."""

from feedback.models import FeedbackRequest, Review
from feedback.services import requests, reviews, surveys
from tests.feedback.asking import (
    after_delay,
    delivered_order,
    photo,
    rejected_return,
    token,
)
from tests.feedback.referral_scenario import referral_scenario
from tests.feedback.replenishment_scenario import replenishment_scenario


def asking_scenario() -> list[Review]:
    """F1: a delivered order asked for a review + NPS, answered with a photo review and a score;
    one of its returns rejected, surveyed and answered. Returns the pending reviews."""
    order = delivered_order(
        (("DOC-FB-TEE", 2), ("DOC-FB-CAP", 1)), warehouse_code="DOCFB", email="doc@example.com"
    )
    later = after_delay()
    requests.schedule_review_requests(now=later)
    requests.send_due_requests(now=later)
    review_request = FeedbackRequest.objects.get(kind="review", order=order)
    tee, cap = order.lines.order_by("line_number")
    answer = reviews.answer_review_request(
        token=token(review_request),
        reviews=[
            reviews.ReviewInput(tee.pk, 5, "Great", "Soft", photos=[photo()]),
            reviews.ReviewInput(cap.pk, 2, body="Too small"),
        ],
        nps_score=9,
        nps_comment="Fast delivery",
    )
    rejected_return(order, "DOC-FB-TEE")
    requests.schedule_return_surveys()
    requests.send_due_requests()
    return_request = FeedbackRequest.objects.get(kind="return_survey", order=order)
    surveys.answer_return_survey(token=token(return_request), score=4, comment="Easy")
    return answer.reviews


def moderation_scenario(pending: list[Review]) -> None:
    """F2: the photo review published (and replied to), the other rejected."""
    from django.contrib.auth.models import Group, User

    from feedback.services import moderation

    moderator = User.objects.create_user("doc-moderator")
    moderator.groups.add(Group.objects.get(name="supervisor"))
    published, rejected = sorted(pending, key=lambda review: review.line_id)
    moderation.publish_review(published.pk, user=moderator)
    moderation.reply_to_review(published.pk, user=moderator, text="Obrigado!")
    moderation.reject_review(rejected.pk, user=moderator, reason_code="personal_data")


def feedback_scenario() -> None:
    moderation_scenario(asking_scenario())
    replenishment_scenario()  # F3
    referral_scenario()  # F4
