"""The storefront's reviews API: published reviews only (never pending or rejected), the rating
aggregate, sync by update time, photos of published reviews, scope feedback:read, 404 for an
unknown product, and bounded queries whatever the number of reviews."""

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from feedback.models import Review
from feedback.selectors import rating_aggregate
from oms.models import Scope
from orders import services
from orders.models import OrderLine
from tests.factories import ADDRESS, make_api_client
from tests.feedback.factories import PNG, add_photo, make_review, placed_order
from tests.orders.builders import ACTOR, order_input

pytestmark = pytest.mark.django_db


def client_with(scopes: list[str]) -> APIClient:
    client = APIClient()
    token = make_api_client(name=f"client {'+'.join(scopes)}", scopes=scopes)[1]
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


@pytest.fixture
def reader() -> APIClient:
    return client_with([Scope.FEEDBACK_READ])


def published(line, rating: int = 5, **fields) -> Review:
    return make_review(
        line,
        rating=rating,
        status=Review.Status.PUBLISHED,
        published_at=fields.pop("published_at", timezone.now()),
        **fields,
    )


def bought_again(sku: str, email: str, name: str = "Bia Costa") -> OrderLine:
    """Another customer's order of the same SKU; its line."""
    customer = services.CustomerInput(email=email, name=name)
    data = order_input([(sku, 1)], customer=customer, shipping_address={**ADDRESS, "name": name})
    order = services.place_order(data=data, actor=ACTOR)
    return order.lines.get()


def reviews_of_one_product(count: int, *, rating: int = 5) -> int:
    """`count` published reviews of the same product by different buyers; its id."""
    line = placed_order(email="buyer0@example.com").lines.get()
    published(line, rating=rating)
    for index in range(1, count):
        published(bought_again(line.sku, f"buyer{index}@example.com"), rating=rating)
    return line.variant.product_id


@pytest.fixture
def product_with_reviews():
    """A product with published reviews rated 5, 4 and 2, plus a pending and a rejected one
    that must never show."""
    line = placed_order(email="ana@example.com").lines.get()
    lines = [line]
    for index in range(4):
        lines.append(bought_again(line.sku, f"friend{index}@example.com"))
    now = timezone.now()
    five = published(lines[0], 5, title="Love it", published_at=now - timedelta(days=3))
    four = published(lines[1], 4, reply="Thank you!", published_at=now - timedelta(days=2))
    two = published(lines[2], 2, body="Too small", published_at=now - timedelta(days=1))
    make_review(lines[3], rating=1)  # pending
    make_review(
        lines[4],
        rating=1,
        status=Review.Status.REJECTED,
        rejection_reason=Review.RejectionReason.OFFENSIVE,
    )
    return line.variant.product_id, [two, four, five]


@pytest.mark.parametrize(
    "path",
    ["/api/v1/products/1/reviews/", "/api/v1/products/1/rating/", "/api/v1/reviews/"],
)
def test_every_endpoint_needs_a_token_with_feedback_read(path):
    anonymous = APIClient().get(path)
    assert anonymous.status_code == 401
    assert anonymous["Content-Type"] == "application/problem+json"
    forbidden = client_with([Scope.ORDERS_READ]).get(path)
    assert forbidden.status_code == 403
    assert "feedback:read" in forbidden.json()["detail"]


@pytest.mark.parametrize("what", ["reviews", "rating"])
def test_an_unknown_product_is_a_404_problem(reader, what):
    response = reader.get(f"/api/v1/products/987654/{what}/")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == "product_not_found"


def test_a_product_lists_only_its_published_reviews_newest_first(reader, product_with_reviews):
    product_id, (two, four, five) = product_with_reviews
    response = reader.get(f"/api/v1/products/{product_id}/reviews/")
    assert response.status_code == 200
    body = response.json()
    assert [r["id"] for r in body["results"]] == [two.pk, four.pk, five.pk]
    assert [r["rating"] for r in body["results"]] == [2, 4, 5]
    first = body["results"][1]
    assert first["reply"] == "Thank you!"
    assert first["author"] == "Bia C."
    assert first["verified_buyer"] is True
    assert first["product_id"] == product_id
    assert body["results"][2]["author"] == "Ana S."
    assert "email" not in str(body) and "ana@example.com" not in str(body)


def test_reviews_are_cursor_paginated(reader, product_with_reviews):
    product_id, (two, four, five) = product_with_reviews
    page = reader.get(f"/api/v1/products/{product_id}/reviews/", {"limit": 2}).json()
    assert [r["id"] for r in page["results"]] == [two.pk, four.pk]
    rest = reader.get(page["next"]).json()
    assert [r["id"] for r in rest["results"]] == [five.pk]
    assert rest["next"] is None


def test_a_product_without_reviews_has_an_empty_page_and_an_empty_aggregate(reader):
    product_id = placed_order().lines.get().variant.product_id
    assert reader.get(f"/api/v1/products/{product_id}/reviews/").json()["results"] == []
    assert reader.get(f"/api/v1/products/{product_id}/rating/").json() == {
        "product_id": product_id,
        "count": 0,
        "average": None,
        "histogram": {"1": 0, "2": 0, "3": 0, "4": 0, "5": 0},
    }


def test_the_rating_aggregate_counts_published_reviews_only(reader, product_with_reviews):
    product_id, _ = product_with_reviews
    response = reader.get(f"/api/v1/products/{product_id}/rating/")
    assert response.status_code == 200
    expected = {
        "product_id": product_id,
        "count": 3,
        "average": "3.67",  # (5 + 4 + 2) / 3
        "histogram": {"1": 0, "2": 1, "3": 0, "4": 1, "5": 1},
    }
    assert response.json() == expected
    assert rating_aggregate(product_id) == expected


def test_sync_lists_published_reviews_changed_since_oldest_first(reader, product_with_reviews):
    product_id, (two, four, five) = product_with_reviews
    other = placed_order(email="zoe@example.com")
    elsewhere = published(other.lines.get(), 3)
    body = reader.get("/api/v1/reviews/").json()
    assert [r["id"] for r in body["results"]] == [five.pk, four.pk, two.pk, elsewhere.pk]
    only = reader.get("/api/v1/reviews/", {"product": product_id}).json()
    assert [r["id"] for r in only["results"]] == [five.pk, four.pk, two.pk]
    # A reply added later moves the review past the storefront's watermark.
    watermark = body["results"][-1]["updated_at"]
    Review.objects.filter(pk=five.pk).update(
        reply="Glad you like it", updated_at=timezone.now() + timedelta(minutes=1)
    )
    changed = reader.get("/api/v1/reviews/", {"updated_since": watermark}).json()
    assert [r["id"] for r in changed["results"]] == [elsewhere.pk, five.pk]
    assert changed["results"][1]["reply"] == "Glad you like it"


def test_sync_refuses_a_malformed_filter_as_a_problem(reader):
    response = reader.get("/api/v1/reviews/", {"updated_since": "yesterday", "product": "x"})
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    fields = {error["field"] for error in response.json()["errors"]}
    assert fields == {"updated_since", "product"}


def test_photos_of_published_reviews_are_served_and_others_are_not(reader):
    order = placed_order(products=2)
    first, second = order.lines.order_by("pk")
    shown = published(first)
    photo = add_photo(shown)
    hidden = make_review(second)  # pending
    hidden_photo = add_photo(hidden)
    body = reader.get(f"/api/v1/products/{first.variant.product_id}/reviews/").json()
    (listed,) = body["results"][0]["photos"]
    assert listed["content_type"] == "image/png"
    assert listed["url"].endswith(f"/api/v1/reviews/{shown.pk}/photos/{photo.pk}/")
    response = reader.get(listed["url"], HTTP_ACCEPT="image/*")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert b"".join(response.streaming_content) == PNG
    missing = reader.get(f"/api/v1/reviews/{hidden.pk}/photos/{hidden_photo.pk}/")
    assert missing.status_code == 404
    # A photo asked for under another review is not found either.
    assert reader.get(f"/api/v1/reviews/{hidden.pk}/photos/{photo.pk}/").status_code == 404
    no_scope = client_with([Scope.ORDERS_READ]).get(listed["url"])
    assert no_scope.status_code == 403


@pytest.mark.parametrize("count", [2, 12])
def test_endpoints_take_bounded_queries_whatever_the_number_of_reviews(
    reader, count, django_assert_max_num_queries
):
    product_id = reviews_of_one_product(count)
    for review in Review.objects.all():
        add_photo(review)
    # Token, product exists, page, photos (and the client's last-used stamp, once).
    with django_assert_max_num_queries(5):
        body = reader.get(f"/api/v1/products/{product_id}/reviews/").json()
    assert len(body["results"]) == count
    with django_assert_max_num_queries(4):
        assert reader.get(f"/api/v1/products/{product_id}/rating/").json()["count"] == count
    with django_assert_max_num_queries(4):
        assert len(reader.get("/api/v1/reviews/").json()["results"]) == count
