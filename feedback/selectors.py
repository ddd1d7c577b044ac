"""Feedback's reads: a product's published reviews and its rating aggregate (the storefront's
stars), shared by the API, the review.published payload and the console."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count

from feedback.models import Review


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
