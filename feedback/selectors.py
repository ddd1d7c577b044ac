"""Feedback's reads: a product's published reviews and its rating aggregate (the storefront's
stars), shared by the API, the review.published payload and the console."""

from __future__ import annotations

from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, Prefetch, QuerySet

from feedback.models import Review, ReviewPhoto
from oms.exceptions import NotFound
from orders.models import Product


def rating_aggregate(product_id: int) -> dict:
    """The published reviews of a product summed up: how many, the average rating (two
    decimals, as a string so JSON keeps it exact; None without reviews) and the histogram of
    ratings 1 to 5 (every key present). One query."""
    rows = (
        Review.objects.filter(product_id=product_id, status=Review.Status.PUBLISHED)
        .values("rating")
        .annotate(n=Count("id"))
        .order_by()
    )
    histogram = {str(stars): 0 for stars in range(1, 6)}
    for row in rows:
        histogram[str(row["rating"])] = row["n"]
    count = sum(histogram.values())
    total = sum(int(stars) * n for stars, n in histogram.items())
    average = (
        str((Decimal(total) / count).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))
        if count
        else None
    )
    return {"product_id": product_id, "count": count, "average": average, "histogram": histogram}


def get_product_id(product_id: int) -> int:
    """The product's id if it exists (any status: a withdrawn product keeps its reviews),
    else NotFound."""
    if not Product.objects.filter(pk=product_id).exists():
        raise NotFound(f"Product {product_id} does not exist.", code="product_not_found")
    return product_id


def published_reviews(
    *, product_id: int | None = None, updated_since: datetime | None = None
) -> QuerySet[Review]:
    """Published reviews as the storefront shows them: the order (the author's name, as the
    review events give it) and the photos loaded with the page (two queries a page, whatever
    its size)."""
    queryset = (
        Review.objects.filter(status=Review.Status.PUBLISHED)
        .select_related("order")
        .prefetch_related(Prefetch("photos", queryset=ReviewPhoto.objects.order_by("id")))
    )
    if product_id is not None:
        queryset = queryset.filter(product_id=product_id)
    if updated_since is not None:
        queryset = queryset.filter(updated_at__gte=updated_since)
    return queryset


def get_published_photo(review_id: int, photo_id: int) -> ReviewPhoto:
    """A photo of a published review; a pending or rejected review's photos are never
    served to the storefront."""
    photo = ReviewPhoto.objects.filter(
        pk=photo_id, review_id=review_id, review__status=Review.Status.PUBLISHED
    ).first()
    if photo is None:
        raise NotFound("No such photo on a published review.", code="photo_not_found")
    return photo
