"""Reviews through the review link: only lines of the link's order (so only a buyer reviews a
product), one per line, rating 1-5, photos checked; the link works once; refusals write
nothing."""

from datetime import timedelta

import pytest

from feedback.models import FeedbackRequest, Review, ReviewPhoto, SurveyResponse
from feedback.services import reviews
from feedback.services.reviews import ReviewInput
from notifications.models import OutboxMessage
from oms.exceptions import Conflict, NotFound, ValidationFailed
from orders.models import OrderEvent
from tests.feedback.asking import GIF, asked, delivered_order, photo, token
from tests.feedback.concurrency import race

pytestmark = pytest.mark.django_db


def nothing_written(*orders) -> None:
    assert not Review.objects.exists()
    assert not ReviewPhoto.objects.exists()
    assert not SurveyResponse.objects.exists()
    assert not OutboxMessage.objects.filter(
        event_type__in=["review.submitted", "feedback.survey_answered"]
    ).exists()
    assert not OrderEvent.objects.filter(
        order__in=orders, type="feedback", reason__in=["review submitted", "survey answered"]
    ).exists()


def test_a_buyer_reviews_lines_and_answers_nps_once():
    order = delivered_order()
    feedback_request = asked(order)
    tee, cap = order.lines.order_by("line_number")

    answer = reviews.answer_review_request(
        token=token(feedback_request),
        reviews=[
            ReviewInput(tee.pk, 5, "Great tee", "  Soft and light.  ", photos=[photo()]),
            ReviewInput(cap.pk, 3),
        ],
        nps_score=9,
        nps_comment="Fast delivery",
    )

    first, second = answer.reviews
    assert (first.line, first.product_id, first.customer_id) == (
        tee,
        tee.variant.product_id,
        order.customer_id,
    )
    assert (first.rating, first.title, first.body, first.status) == (
        5,
        "Great tee",
        "Soft and light.",
        "pending",
    )
    assert first.request == feedback_request and first.locale == order.locale
    (stored,) = first.photos.all()
    assert stored.content_type == "image/jpeg" and "photo.jpg" not in stored.image.name
    assert second.rating == 3 and not second.photos.exists()
    assert (answer.nps.kind, answer.nps.score, answer.nps.comment) == ("nps", 9, "Fast delivery")
    feedback_request.refresh_from_db()
    assert feedback_request.status == "answered" and feedback_request.answered_at
    submitted = {
        m.payload["review"]["sku"]: m.payload["review"]
        for m in OutboxMessage.objects.filter(event_type="review.submitted")
    }
    assert sorted(submitted) == ["CAP", "TEE-M"]
    assert (submitted["TEE-M"]["photo_count"], submitted["CAP"]["photo_count"]) == (1, 0)
    assert submitted["TEE-M"]["author"] == "Ana S." and submitted["TEE-M"]["status"] == "pending"
    (answered,) = OutboxMessage.objects.filter(event_type="feedback.survey_answered")
    assert (answered.payload["event"]["kind"], answered.payload["event"]["score"]) == ("nps", 9)
    timeline = OrderEvent.objects.filter(order=order, type="feedback").order_by("pk")
    assert [e.reason for e in timeline] == [
        "review and NPS request sent",
        "review submitted",
        "review submitted",
        "survey answered",
    ]
    assert timeline[1].actor_kind == "customer" and timeline[1].data["rating"] == 5

    # The link works once: a second answer is refused and writes nothing more.
    with pytest.raises(Conflict) as error:
        reviews.answer_review_request(token=token(feedback_request), reviews=[], nps_score=10)
    assert error.value.code == "feedback_already_answered"
    assert Review.objects.count() == 2 and SurveyResponse.objects.count() == 1


def test_a_line_of_another_order_is_refused_and_nothing_is_written():
    mine = delivered_order((("TEE-M", 1),), email="ana@example.com")
    theirs = delivered_order((("CAP", 1),), email="bo@example.com", warehouse_code="WEST")
    feedback_request = asked(mine)
    their_line = theirs.lines.get()

    with pytest.raises(ValidationFailed) as error:
        reviews.answer_review_request(
            token=token(feedback_request),
            reviews=[ReviewInput(their_line.pk, 1, body="Terrible")],
            nps_score=0,
        )

    assert error.value.code == "line_not_reviewable"
    nothing_written(mine, theirs)
    feedback_request.refresh_from_db()
    assert feedback_request.answered_at is None  # still open for the real answer


def test_another_customers_link_cannot_review_my_order():
    mine = delivered_order((("TEE-M", 1),), email="ana@example.com")
    theirs = delivered_order((("CAP", 1),), email="bo@example.com", warehouse_code="WEST")
    asked(mine)
    their_request = FeedbackRequest.objects.get(order=theirs)

    with pytest.raises(ValidationFailed):
        reviews.answer_review_request(
            token=token(their_request), reviews=[ReviewInput(mine.lines.get().pk, 5)]
        )
    nothing_written(mine, theirs)


@pytest.mark.parametrize(
    "tamper",
    [
        lambda t, other: t.replace(f"{t.split('.')[0]}.", f"{other}.", 1),  # another id
        lambda t, other: t[:-2] + ("AA" if not t.endswith("AA") else "BB"),  # signature
        lambda t, other: "not-a-token",
    ],
)
def test_a_tampered_link_is_refused(tamper):
    mine = delivered_order((("TEE-M", 1),), email="ana@example.com")
    theirs = delivered_order((("CAP", 1),), email="bo@example.com", warehouse_code="WEST")
    asked(mine)
    their_request = FeedbackRequest.objects.get(order=theirs)
    my_request = FeedbackRequest.objects.get(order=mine)

    with pytest.raises(NotFound):
        reviews.answer_review_request(
            token=tamper(token(my_request), their_request.pk),
            reviews=[ReviewInput(theirs.lines.get().pk, 1)],
        )
    nothing_written(mine, theirs)


def test_a_retired_nonce_no_longer_opens_the_request():
    order = delivered_order()
    feedback_request = asked(order)
    old = token(feedback_request)
    FeedbackRequest.objects.filter(pk=feedback_request.pk).update(nonce="a-new-one")

    with pytest.raises(NotFound):
        reviews.answer_review_request(token=old, reviews=[], nps_score=7)
    nothing_written(order)


def test_an_expired_link_is_refused(settings):
    order = delivered_order()
    feedback_request = asked(order)
    link = token(feedback_request)

    # Past the request's own expiry (the sender set it 30 days after sending).
    FeedbackRequest.objects.filter(pk=feedback_request.pk).update(
        expires_at=feedback_request.sent_at - timedelta(days=10)
    )
    with pytest.raises(Conflict) as error:
        reviews.answer_review_request(token=link, reviews=[], nps_score=7)
    assert error.value.code == "feedback_link_expired"
    # And a signature older than the validity period, whatever the row says.
    FeedbackRequest.objects.filter(pk=feedback_request.pk).update(
        expires_at=feedback_request.expires_at
    )
    settings.OMS_FEEDBACK_LINK_VALID_FOR = timedelta(seconds=-1)
    with pytest.raises(Conflict):
        reviews.answer_review_request(token=link, reviews=[], nps_score=7)
    nothing_written(order)


def test_a_line_is_reviewed_once():
    order = delivered_order()
    feedback_request = asked(order)
    tee = order.lines.order_by("line_number").first()

    with pytest.raises(ValidationFailed) as error:
        reviews.answer_review_request(
            token=token(feedback_request), reviews=[ReviewInput(tee.pk, 5), ReviewInput(tee.pk, 1)]
        )
    assert error.value.code == "line_not_reviewable"
    nothing_written(order)


@pytest.mark.parametrize("rating", [0, 6, -1, True])
def test_a_rating_outside_one_to_five_is_refused(rating):
    order = delivered_order()
    feedback_request = asked(order)

    with pytest.raises(ValidationFailed) as error:
        reviews.answer_review_request(
            token=token(feedback_request),
            reviews=[ReviewInput(order.lines.first().pk, rating)],
        )
    assert error.value.code == "invalid_rating"
    nothing_written(order)


def test_photos_are_checked_by_their_bytes_size_and_count(settings):
    order = delivered_order()
    feedback_request = asked(order)
    line = order.lines.first()

    def refused(photos) -> str:
        with pytest.raises(ValidationFailed) as error:
            reviews.answer_review_request(
                token=token(feedback_request), reviews=[ReviewInput(line.pk, 4, photos=photos)]
            )
        return error.value.code

    assert refused([photo(GIF, "looks-like.jpg")]) == "photo_type_not_allowed"
    settings.OMS_REVIEW_PHOTO_MAX_BYTES = 10
    assert refused([photo()]) == "photo_too_large"
    settings.OMS_REVIEW_PHOTO_MAX_BYTES = 5 * 1024 * 1024
    assert refused([photo() for _ in range(5)]) == "too_many_photos"
    nothing_written(order)


def test_an_empty_answer_is_refused():
    order = delivered_order()
    feedback_request = asked(order)

    with pytest.raises(ValidationFailed) as error:
        reviews.answer_review_request(token=token(feedback_request), reviews=[])
    assert error.value.code == "empty_answer"
    with pytest.raises(ValidationFailed) as error:
        reviews.answer_review_request(token=token(feedback_request), reviews=[], nps_score=11)
    assert error.value.code == "invalid_score"
    nothing_written(order)


def test_submit_review_writes_one_review_through_an_open_request():
    order = delivered_order()
    feedback_request = asked(order)
    tee = order.lines.order_by("line_number").first()

    review = reviews.submit_review(request=feedback_request, review=ReviewInput(tee.pk, 4))

    assert review.status == "pending" and review.line == tee
    with pytest.raises(ValidationFailed):
        reviews.submit_review(request=feedback_request, review=ReviewInput(tee.pk, 2))
    assert Review.objects.count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_answers_through_one_link_write_once_on_postgresql():
    order = delivered_order()
    feedback_request = asked(order)
    link = token(feedback_request)
    tee = order.lines.order_by("line_number").first()
    count = 6
    results = race(
        lambda index: reviews.answer_review_request(
            token=link, reviews=[ReviewInput(tee.pk, 1 + index % 5)], nps_score=index
        ),
        count,
    )

    answered = [r for r in results if isinstance(r, reviews.ReviewAnswer)]
    refused = [r for r in results if isinstance(r, Conflict)]
    assert (len(answered), len(refused)) == (1, count - 1), results
    assert {r.code for r in refused} == {"feedback_already_answered"}
    assert Review.objects.count() == 1 and SurveyResponse.objects.count() == 1
    assert OutboxMessage.objects.filter(event_type="review.submitted").count() == 1
