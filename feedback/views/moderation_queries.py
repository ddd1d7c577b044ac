"""The reads behind the moderation pages: one page of the queue (keyset, filters), one review
with what the moderator needs beside it. A bounded number of queries whatever the data."""

from dataclasses import dataclass

from django.db.models import Count, Exists, OuterRef, Q, QuerySet

from feedback.models import Review, ReviewPhoto
from orders.models import OrderEvent

PAGE_SIZE = 50
PRODUCT_MAX = 100
ALL = "all"


@dataclass(frozen=True)
class QueueFilters:
    status: str = Review.Status.PENDING
    rating: int | None = None
    has_photo: bool | None = None
    product: str = ""
    cursor: int | None = None

    @property
    def oldest_first(self) -> bool:
        """Waiting reviews are decided in the order they came; decided ones newest first."""
        return self.status == Review.Status.PENDING


@dataclass(frozen=True)
class QueuePage:
    rows: list[Review]
    next_cursor: int | None
    pending: int


def _filtered(filters: QueueFilters) -> QuerySet[Review]:
    queryset = Review.objects.all()
    if filters.status != ALL:
        queryset = queryset.filter(status=filters.status)
    if filters.rating:
        queryset = queryset.filter(rating=filters.rating)
    if filters.has_photo is not None:
        with_photo = Exists(ReviewPhoto.objects.filter(review_id=OuterRef("pk")))
        queryset = queryset.filter(with_photo if filters.has_photo else ~with_photo)
    if filters.product:
        term = filters.product.strip()
        match = Q(product__slug=term) | Q(product__name__icontains=term) | Q(line__sku=term)
        if term.isdigit():
            match |= Q(product_id=int(term))
        queryset = queryset.filter(match)
    return queryset


def list_reviews(filters: QueueFilters, *, page_size: int | None = None) -> QueuePage:
    """One page of reviews with their product, order, customer and photo count; keyset on the
    id (oldest first while pending, newest first otherwise); and how many wait. Two queries."""
    page_size = page_size or PAGE_SIZE
    queryset = (
        _filtered(filters)
        .select_related("product", "order", "customer")
        .only(
            "id",
            "rating",
            "title",
            "body",
            "status",
            "locale",
            "rejection_reason",
            "reply",
            "created_at",
            "product__id",
            "product__name",
            "product__slug",
            "order__id",
            "order__number",
            "customer__id",
            "customer__name",
            "customer__email",
        )
        .annotate(photo_count=Count("photos"))
    )
    if filters.oldest_first:
        queryset = queryset.order_by("id")
        if filters.cursor:
            queryset = queryset.filter(id__gt=filters.cursor)
    else:
        queryset = queryset.order_by("-id")
        if filters.cursor:
            queryset = queryset.filter(id__lt=filters.cursor)
    rows = list(queryset[: page_size + 1])
    next_cursor = rows[page_size - 1].pk if len(rows) > page_size else None
    pending = Review.objects.filter(status=Review.Status.PENDING).count()
    return QueuePage(rows=rows[:page_size], next_cursor=next_cursor, pending=pending)


def get_review(review_id: int) -> Review:
    """The review with its product, line, order, customer, moderator and photos (Review
    .DoesNotExist when there is none)."""
    return (
        Review.objects.select_related(
            "product", "line", "order", "customer", "moderated_by", "replied_by"
        )
        .prefetch_related("photos")
        .get(pk=review_id)
    )


def review_history(review: Review) -> list[OrderEvent]:
    """The review's entries on the order timeline (written, published, rejected, replied)."""
    return list(
        OrderEvent.objects.filter(
            order_id=review.order_id, type=OrderEvent.Type.FEEDBACK, data__review_id=review.pk
        ).order_by("created_at", "id")
    )


def next_pending(after_id: int) -> int | None:
    """The next review waiting after this one (the queue's order), else the oldest waiting."""
    waiting = Review.objects.filter(status=Review.Status.PENDING).exclude(pk=after_id)
    following = waiting.filter(pk__gt=after_id).order_by("id").values_list("pk", flat=True)
    return following.first() or waiting.order_by("id").values_list("pk", flat=True).first()
