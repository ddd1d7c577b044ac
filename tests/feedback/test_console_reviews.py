"""The moderation pages in the console: moderators only (agents and anonymous visitors are
refused everywhere, photos included), the queue's filters and keyset pages in a bounded number
of queries, the decisions through the service, and feedback on the order page and customer 360
(panel and readable timeline)."""

import pytest
from django.contrib.auth.models import Group, User
from django.urls import reverse

from feedback.models import Review
from feedback.services import moderation
from orders.models import OrderEvent
from tests.feedback.factories import add_photo, answer_survey, make_review, placed_order

pytestmark = pytest.mark.django_db


def sign_in(client, group: str, name: str | None = None) -> User:
    user = User.objects.create_user(name or group, password="x")
    user.groups.add(Group.objects.get(name=group))
    client.force_login(user)
    return user


@pytest.fixture
def moderator(client):
    return sign_in(client, "supervisor", "mod")


def reviews(count: int, **fields) -> list[Review]:
    order = placed_order(count)
    return [make_review(line, **fields) for line in order.lines.order_by("id")]


def rows(response) -> list[int]:
    return [review.pk for review in response.context["page"].rows]


def endpoints(review: Review, photo_id: int) -> list[tuple[str, str]]:
    return [
        ("get", reverse("feedback:reviews")),
        ("get", reverse("feedback:review-detail", args=[review.pk])),
        ("post", reverse("feedback:review-publish", args=[review.pk])),
        ("post", reverse("feedback:review-reject", args=[review.pk])),
        ("post", reverse("feedback:review-reply", args=[review.pk])),
        ("get", reverse("feedback:review-photo", args=[review.pk, photo_id])),
    ]


def test_agents_and_anonymous_visitors_are_refused_everywhere_and_nothing_changes(client):
    (review,) = reviews(1)
    photo = add_photo(review)
    for method, url in endpoints(review, photo.pk):
        response = getattr(client, method)(url, {"reason_code": "spam", "text": "x"})
        assert response.status_code in (302, 401), url
        if method == "get":
            assert response["Location"].startswith("/console/login/")
    sign_in(client, "agent")
    for method, url in endpoints(review, photo.pk):
        response = getattr(client, method)(url, {"reason_code": "spam", "text": "x"})
        assert response.status_code == 403, url
    review.refresh_from_db()
    assert review.status == Review.Status.PENDING and review.reply == ""
    assert not OrderEvent.objects.filter(type=OrderEvent.Type.FEEDBACK).exists()


def test_the_nav_links_to_the_queue_for_moderators_only(client):
    sign_in(client, "agent")
    home = reverse("console:home")
    assert reverse("feedback:reviews") not in client.get(home).content.decode()
    sign_in(client, "supervisor")
    assert reverse("feedback:reviews") in client.get(home).content.decode()


def test_the_queue_starts_on_waiting_reviews_oldest_first(client, moderator):
    first, second, third = reviews(3)
    moderation.publish_review(second.pk, user=moderator)

    response = client.get(reverse("feedback:reviews"))

    assert response.status_code == 200
    assert rows(response) == [first.pk, third.pk]
    assert response.context["page"].pending == 2
    published = client.get(reverse("feedback:reviews"), {"status": "published"})
    assert rows(published) == [second.pk]
    everything = client.get(reverse("feedback:reviews"), {"status": "all"})
    assert rows(everything) == [third.pk, second.pk, first.pk]


def test_the_queue_filters_by_rating_photo_and_product(client, moderator):
    low, high, pictured = reviews(3)
    Review.objects.filter(pk=low.pk).update(rating=1)
    Review.objects.filter(pk=high.pk).update(rating=5)
    add_photo(pictured)
    url = reverse("feedback:reviews")

    assert rows(client.get(url, {"rating": "1"})) == [low.pk]
    assert rows(client.get(url, {"photo": "yes"})) == [pictured.pk]
    assert rows(client.get(url, {"photo": "no"})) == [low.pk, high.pk]
    assert rows(client.get(url, {"product": high.product.slug})) == [high.pk]
    assert rows(client.get(url, {"product": high.line.sku})) == [high.pk]
    assert rows(client.get(url, {"product": "nothing-like-it"})) == []
    fragment = client.get(url, {"rating": "1", "fragment": "rows"}, HTTP_HX_REQUEST="true")
    assert fragment.status_code == 200 and "<form" not in fragment.content.decode()


def test_the_queue_pages_with_a_keyset_cursor(client, moderator, monkeypatch):
    from feedback.views import moderation_queries

    monkeypatch.setattr(moderation_queries, "PAGE_SIZE", 2)
    ids = [review.pk for review in reviews(5)]
    url = reverse("feedback:reviews")

    first = client.get(url)
    assert rows(first) == ids[:2] and first.context["page"].next_cursor == ids[1]
    second = client.get(url, {"cursor": ids[1]})
    third = client.get(url, {"cursor": second.context["page"].next_cursor})
    assert rows(second) == ids[2:4] and rows(third) == ids[4:]
    assert third.context["page"].next_cursor is None


@pytest.mark.parametrize("count", [3, 30])
def test_the_queue_and_a_review_render_in_a_bounded_number_of_queries(
    client, moderator, count, django_assert_max_num_queries
):
    made = reviews(count)
    for review in made[::3]:
        add_photo(review)
    with django_assert_max_num_queries(10):
        assert client.get(reverse("feedback:reviews")).status_code == 200
    with django_assert_max_num_queries(10):
        assert client.get(reverse("feedback:reviews"), {"photo": "yes"}).status_code == 200
    with django_assert_max_num_queries(14):
        page = client.get(reverse("feedback:review-detail", args=[made[0].pk]))
    assert page.status_code == 200


def test_publishing_from_the_page_goes_through_the_service_and_on_to_the_next(client, moderator):
    first, second = reviews(2)
    add_photo(first)

    page = client.get(reverse("feedback:review-detail", args=[first.pk]))
    html = page.content.decode()
    assert first.body in html and reverse("feedback:review-photo", args=[first.pk, 1])[:-2] in html

    response = client.post(
        reverse("feedback:review-publish", args=[first.pk]), {"note": "ok", "then": "next"}
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("feedback:review-detail", args=[second.pk])
    first.refresh_from_db()
    assert first.status == Review.Status.PUBLISHED and first.moderated_by == moderator
    event = OrderEvent.objects.get(type=OrderEvent.Type.FEEDBACK)
    assert event.data["step"] == "review_published" and event.actor_user == moderator


def test_rejecting_needs_a_reason_and_a_decided_review_shows_the_refusal(client, moderator):
    (review,) = reviews(1)
    url = reverse("feedback:review-reject", args=[review.pk])

    missing = client.post(url, {"note": "no reason"})
    assert missing.status_code == 400
    assert Review.objects.get(pk=review.pk).status == Review.Status.PENDING

    assert client.post(url, {"reason_code": "offensive"}).status_code == 302
    assert Review.objects.get(pk=review.pk).rejection_reason == "offensive"

    again = client.post(reverse("feedback:review-publish", args=[review.pk]), {})
    assert again.status_code == 409
    assert Review.objects.get(pk=review.pk).status == Review.Status.REJECTED
    assert OrderEvent.objects.filter(type=OrderEvent.Type.FEEDBACK).count() == 1


def test_replying_from_the_page(client, moderator):
    (review,) = reviews(1)
    url = reverse("feedback:review-reply", args=[review.pk])
    assert client.post(url, {"text": ""}).status_code == 400
    assert client.post(url, {"text": "Thanks!"}).status_code == 302
    assert Review.objects.get(pk=review.pk).reply == "Thanks!"
    page = client.get(reverse("feedback:review-detail", args=[review.pk]))
    assert "Thanks!" in page.content.decode()


def test_photos_are_served_to_moderators_only_and_only_under_their_review(client, moderator):
    first, second = reviews(2)
    photo = add_photo(first)

    response = client.get(reverse("feedback:review-photo", args=[first.pk, photo.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content).startswith(b"\x89PNG")
    other = client.get(reverse("feedback:review-photo", args=[second.pk, photo.pk]))
    assert other.status_code == 404


def test_the_order_page_shows_the_feedback_panel_and_a_readable_timeline(client, moderator):
    order = placed_order()
    review = make_review(order.lines.get(), rating=2, body="Arrived with a dent.")
    answer_survey(order, 3, "Slow delivery")
    moderation.publish_review(review.pk, user=moderator)

    html = client.get(reverse("console:order-detail", args=[order.number])).content.decode()

    assert 'data-panel="feedback"' in html
    assert "Arrived with a dent." in html and "Slow delivery" in html
    assert "Review published" in html
    assert reverse("feedback:review-detail", args=[review.pk]) in html


def test_the_customer_page_shows_the_customer_reviews_and_answers(client):
    order = placed_order()
    make_review(order.lines.get(), body="Lovely fabric.")
    answer_survey(order, 9, "Great")
    sign_in(client, "agent")

    html = client.get(reverse("console:customer-detail", args=[order.customer_id])).content.decode()

    assert 'data-panel="feedback"' in html
    assert "Lovely fabric." in html and "9/10" in html
    assert reverse("feedback:review-detail", args=[1])[:-2] not in html  # agents: no link


@pytest.mark.parametrize("count", [1, 12])
def test_the_feedback_panels_add_a_fixed_number_of_queries(
    client, count, django_assert_max_num_queries
):
    order = placed_order(count)
    for line in order.lines.all():
        add_photo(make_review(line))
    answer_survey(order, 7)
    sign_in(client, "supervisor")
    with django_assert_max_num_queries(45):
        assert client.get(reverse("console:order-detail", args=[order.number])).status_code == 200
    with django_assert_max_num_queries(30):
        url = reverse("console:customer-detail", args=[order.customer_id])
        assert client.get(url).status_code == 200
