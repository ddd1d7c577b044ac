"""The customer's feedback pages behind the email links: the review page (stars, text, photos,
NPS) and the return survey; the link works once; used, expired and forged links get a polite
410 / 404; the customer's language; bounded queries."""

from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from feedback.models import FeedbackRequest, Review, SurveyResponse
from notifications.models import OutboxMessage
from notifications.rendering import render_email
from orders.models import Order
from tests.feedback.asking import (
    GIF,
    asked,
    asked_about_return,
    delivered_order,
    feedback_link,
    photo,
    token,
)

pytestmark = pytest.mark.django_db


def review_url(feedback_request: FeedbackRequest) -> str:
    return reverse("feedback-review", kwargs={"token": token(feedback_request)})


def survey_url(feedback_request: FeedbackRequest) -> str:
    return reverse("feedback-return-survey", kwargs={"token": token(feedback_request)})


def many_lines_order(count: int) -> Order:
    return delivered_order(tuple((f"FB-SKU-{i}", 1) for i in range(count)))


@pytest.mark.parametrize("lines", [1, 6])
def test_review_page_lists_reviewable_lines_with_star_radio_groups_in_bounded_queries(
    client, django_assert_max_num_queries, lines
):
    order = many_lines_order(lines)
    feedback_request = asked(order)

    with django_assert_max_num_queries(6):
        response = client.get(review_url(feedback_request))

    assert response.status_code == 200
    assert response["X-Robots-Tag"] == "noindex"
    page = response.content.decode()
    for line in order.lines.all():
        assert line.name in page
        assert page.count(f'name="line-{line.pk}-rating"') == 5
        assert f'name="line-{line.pk}-photos"' in page
    assert page.count('name="nps"') == 11
    assert 'enctype="multipart/form-data"' in page
    assert "<legend>" in page  # each star group is a labelled radio group


def test_review_page_posts_reviews_with_a_photo_and_nps_then_closes(client):
    order = delivered_order()
    feedback_request = asked(order)
    tee, cap = order.lines.order_by("line_number")
    url = review_url(feedback_request)

    response = client.post(
        url,
        {
            f"line-{tee.pk}-rating": "5",
            f"line-{tee.pk}-title": "Lovely",
            f"line-{tee.pk}-body": "Fits well",
            f"line-{tee.pk}-photos": photo(),
            f"line-{cap.pk}-rating": "",  # left untouched: not reviewed
            "nps": "10",
            "comment": "Fast",
        },
    )

    assert response.status_code == 302
    # The same link's thank-you page (a token signed a second later would differ).
    assert response["Location"] == url + "thanks/"
    (review,) = Review.objects.all()
    assert (review.line, review.rating, review.photos.count()) == (tee, 5, 1)
    assert SurveyResponse.objects.get().score == 10
    thanks = client.get(response["Location"])
    assert thanks.status_code == 200 and tee.name in thanks.content.decode()

    again = client.get(url)
    assert again.status_code == 410
    assert "We already have your answer" in again.content.decode()
    repost = client.post(url, {f"line-{cap.pk}-rating": "1"})
    assert repost.status_code == 410
    assert Review.objects.count() == 1


@pytest.mark.parametrize("lines", [1, 4])
def test_answering_the_review_page_takes_bounded_queries_per_reviewed_item(
    client, django_assert_max_num_queries, lines
):
    order = many_lines_order(lines)
    feedback_request = asked(order)
    form = {f"line-{line.pk}-rating": "4" for line in order.lines.all()}

    # Reading and locking the request, the order's lines, the answer (fixed); each review's
    # rows, timeline entry and outbox message (per item reviewed, never per line of history).
    with django_assert_max_num_queries(20 + 6 * lines):
        response = client.post(review_url(feedback_request), {**form, "nps": "8"})
    assert response.status_code == 302
    assert Review.objects.count() == lines

    with django_assert_max_num_queries(5):
        assert client.get(response["Location"]).status_code == 200


def test_review_page_shows_errors_and_writes_nothing(client):
    order = delivered_order()
    feedback_request = asked(order)
    tee = order.lines.order_by("line_number").first()

    text_without_stars = client.post(
        review_url(feedback_request), {f"line-{tee.pk}-body": "No stars here"}
    )
    assert text_without_stars.status_code == 400
    assert "Choose from 1 to 5 stars." in text_without_stars.content.decode()
    assert "No stars here" in text_without_stars.content.decode()  # kept for the retry

    bad_photo = client.post(
        review_url(feedback_request),
        {f"line-{tee.pk}-rating": "4", f"line-{tee.pk}-photos": photo(GIF, "cat.jpg")},
    )
    assert bad_photo.status_code == 400
    assert "cat.jpg is not a photo we accept" in bad_photo.content.decode()

    empty = client.post(review_url(feedback_request), {})
    assert empty.status_code == 400
    assert not Review.objects.exists() and not SurveyResponse.objects.exists()
    feedback_request.refresh_from_db()
    assert feedback_request.answered_at is None


def test_a_line_of_another_order_posted_to_my_page_is_ignored(client):
    mine = delivered_order((("TEE-M", 1),), email="ana@example.com")
    theirs = delivered_order((("CAP", 1),), email="bo@example.com", warehouse_code="WEST")
    feedback_request = asked(mine)
    their_line = theirs.lines.get()

    response = client.post(
        review_url(feedback_request), {f"line-{their_line.pk}-rating": "1", "nps": "3"}
    )

    assert response.status_code == 302  # only the NPS answer counted
    assert not Review.objects.exists()


def test_expired_and_forged_links_get_polite_pages(client, settings):
    order = delivered_order()
    feedback_request = asked(order)

    forged = client.get(reverse("feedback-review", kwargs={"token": "123.abc:forged:sig"}))
    assert forged.status_code == 404
    assert "This link does not work" in forged.content.decode()

    FeedbackRequest.objects.filter(pk=feedback_request.pk).update(
        expires_at=timezone.now() - timedelta(minutes=1)
    )
    expired = client.get(review_url(feedback_request))
    assert expired.status_code == 410
    assert "This link has closed" in expired.content.decode()
    assert "30 days" in expired.content.decode()


def test_pages_speak_the_orders_language(client):
    order = delivered_order()
    Order.objects.filter(pk=order.pk).update(locale="pt-br")
    feedback_request = asked(order)

    response = client.get(review_url(feedback_request))

    assert response.status_code == 200
    assert '<html lang="pt-br"' in response.content.decode()


def test_the_email_link_opens_the_review_page_with_the_nps_preselected(client):
    order = delivered_order()
    asked(order)
    (message,) = OutboxMessage.objects.filter(event_type="feedback.review_requested")

    email = render_email(message)

    path = feedback_link(email.text)
    assert f"{path}?nps=9" in email.html
    assert order.number in email.subject
    response = client.get(f"{path}?nps=9")
    assert response.status_code == 200
    assert 'name="nps" value="9" checked' in response.content.decode()
    assert not SurveyResponse.objects.exists()  # opening the link records nothing
    assert mail.outbox == [] or order.number in mail.outbox[0].subject


@pytest.mark.parametrize("returns", [1, 2])
def test_return_survey_page_answers_once_in_bounded_queries(
    client, django_assert_max_num_queries, returns
):
    order = delivered_order((("TEE-M", 3),))
    for _ in range(returns - 1):
        asked_about_return(order)
    feedback_request = asked_about_return(order)
    url = survey_url(feedback_request)

    with django_assert_max_num_queries(4):
        page = client.get(url + "?score=4")
    assert page.status_code == 200
    assert 'name="score" value="4" required checked' in page.content.decode()
    assert feedback_request.return_request.rma in page.content.decode()

    bad = client.post(url, {"score": "9"})
    assert bad.status_code == 400 and not SurveyResponse.objects.exists()

    response = client.post(url, {"score": "4", "comment": "Easy"})
    assert response.status_code == 302
    assert client.get(response["Location"]).status_code == 200
    assert SurveyResponse.objects.get().score == 4
    assert client.get(url).status_code == 410


def test_a_review_link_does_not_open_the_return_survey_page(client):
    order = delivered_order()
    feedback_request = asked(order)

    response = client.get(
        reverse("feedback-return-survey", kwargs={"token": token(feedback_request)})
    )

    assert response.status_code == 404
