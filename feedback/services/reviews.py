"""Product reviews written by buyers through their review link: one per order line of the
link's order, rating 1 to 5, optional title, text and photos (type read from the bytes, size
and count bounded by OMS_REVIEW_PHOTO_*). A new review waits for moderation (status pending);
each is noted on the order's timeline (OrderEvent FEEDBACK) and emitted as `review.submitted`.

The page answers a review request in one go (`answer_review_request`): the reviews and the NPS
answer are written together, under the request's row lock, and the link stops working."""

import logging
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils.translation import gettext as _

from feedback.models import FeedbackRequest, Review, ReviewPhoto
from feedback.services import requests as feedback_requests
from feedback.services import surveys
from notifications.services import outbox
from oms.actors import Actor
from oms.exceptions import ValidationFailed
from orders.models import OrderEvent, OrderLine
from orders.services.events import order_payload
from returns.services.photos import EXTENSIONS, sniff_type

logger = logging.getLogger(__name__)

TITLE_MAX = 120
BODY_MAX = 5000


@dataclass(frozen=True)
class ReviewInput:
    """One line's review as the customer wrote it."""

    line_id: int
    rating: int
    title: str = ""
    body: str = ""
    photos: Sequence[UploadedFile] = field(default_factory=tuple)


# --- Payload -----------------------------------------------------------------------------------


def author_name(name: str) -> str:
    """How the storefront names a reviewer: first name and the initial of the last ("Ana S.")."""
    parts = name.split()
    if not parts:
        return ""
    if len(parts) == 1:
        return parts[0]
    return f"{parts[0]} {parts[-1][0]}."


def review_payload(review: Review, *, photo_count: int | None = None) -> dict[str, Any]:
    """The review part of every review event's payload (catalogue version 1). `photo_count`
    saves a query when the caller knows it."""
    if photo_count is None:
        photo_count = len(review.photos.all())
    return {
        "id": review.pk,
        "product_id": review.product_id,
        "sku": review.line.sku,
        "line_number": review.line.line_number,
        "rating": review.rating,
        "title": review.title,
        "body": review.body,
        "locale": review.locale,
        "author": author_name(review.order.shipping_address.get("name", "")),
        "status": review.status,
        "photo_count": photo_count,
        "created_at": review.created_at,
        "published_at": review.published_at,
        "rejection_reason": review.rejection_reason,
        "reply": review.reply,
    }


# --- Validation --------------------------------------------------------------------------------


def _error(field_name: str, code: str, message: str) -> dict[str, str]:
    return {"field": field_name, "code": code, "message": message}


def photo_errors(files: Sequence[UploadedFile], *, field_name: str) -> list[dict]:
    """Every error of one review's photos: too many, a type we do not accept (read from the
    file's first bytes, never its name), too large."""
    errors = []
    limit = settings.OMS_REVIEW_PHOTOS_PER_REVIEW
    if len(files) > limit:
        errors.append(
            _error(
                field_name,
                "too_many_photos",
                _("Attach at most %(count)s photos per review.") % {"count": limit},
            )
        )
    allowed = ", ".join(t.split("/")[1].upper() for t in settings.OMS_REVIEW_PHOTO_TYPES)
    max_bytes = settings.OMS_REVIEW_PHOTO_MAX_BYTES
    for file in files:
        name = file.name or _("The file")
        if _content_type(file) not in settings.OMS_REVIEW_PHOTO_TYPES:
            errors.append(
                _error(
                    field_name,
                    "photo_type_not_allowed",
                    _("%(name)s is not a photo we accept (%(allowed)s).")
                    % {"name": name, "allowed": allowed},
                )
            )
        elif file.size is None or file.size > max_bytes:
            errors.append(
                _error(
                    field_name,
                    "photo_too_large",
                    _("%(name)s is larger than %(size)s MB.")
                    % {"name": name, "size": f"{max_bytes / 1024 / 1024:g}"},
                )
            )
    return errors


def _content_type(file: UploadedFile) -> str:
    file.seek(0)
    head = file.read(12) or b""
    file.seek(0)
    return sniff_type(head)


def _clean(value: str, *, limit: int, field_name: str, errors: list[dict]) -> str:
    value = (value or "").strip()
    if len(value) > limit:
        errors.append(
            _error(
                field_name,
                "too_long",
                _("Keep it under %(limit)s characters.") % {"limit": limit},
            )
        )
    return value


def validate_reviews(
    request: FeedbackRequest, reviews: Sequence[ReviewInput]
) -> tuple[dict[int, OrderLine], list[dict]]:
    """The reviewed lines (by id) and every error: a line must belong to the link's order,
    still be reviewable (received, not all returned, not reviewed yet) and appear once."""
    errors: list[dict] = []
    reviewable = {line.pk: line for line in feedback_requests.reviewable_lines(request.order)}
    seen: set[int] = set()
    for review in reviews:
        prefix = f"line-{review.line_id}"
        if review.line_id not in reviewable or review.line_id in seen:
            errors.append(
                _error(
                    prefix,
                    "line_not_reviewable",
                    _("This item cannot be reviewed with this link."),
                )
            )
            continue
        seen.add(review.line_id)
        rating = review.rating
        if not isinstance(rating, int) or isinstance(rating, bool) or not 1 <= rating <= 5:
            errors.append(
                _error(f"{prefix}-rating", "invalid_rating", _("Choose from 1 to 5 stars."))
            )
        _clean(review.title, limit=TITLE_MAX, field_name=f"{prefix}-title", errors=errors)
        _clean(review.body, limit=BODY_MAX, field_name=f"{prefix}-body", errors=errors)
        errors += photo_errors(review.photos, field_name=f"{prefix}-photos")
    return reviewable, errors


# --- Writing -----------------------------------------------------------------------------------


def _store_photos(review: Review, files: Sequence[UploadedFile]) -> list[ReviewPhoto]:
    """Save checked photos under names of our own (never the customer's file name)."""
    stored = []
    for file in files:
        content_type = _content_type(file)
        photo = ReviewPhoto(review=review, content_type=content_type, size=file.size)
        name = f"review-{review.pk}-{secrets.token_hex(6)}.{EXTENSIONS[content_type]}"
        file.seek(0)
        photo.image.save(name, file, save=False)
        photo.save()
        stored.append(photo)
    return stored


def _write_review(
    request: FeedbackRequest, line: OrderLine, review_input: ReviewInput, *, actor: Actor
) -> Review:
    order = request.order
    review = Review.objects.create(
        line=line,
        order=order,
        product_id=line.variant.product_id,
        customer_id=request.customer_id,
        request=request,
        rating=review_input.rating,
        title=(review_input.title or "").strip(),
        body=(review_input.body or "").strip(),
        locale=order.locale,
    )
    photos = _store_photos(review, review_input.photos)
    data = {
        "kind": "review",
        "review_id": review.pk,
        "line_number": line.line_number,
        "sku": line.sku,
        "rating": review.rating,
        "photo_count": len(photos),
    }
    OrderEvent.objects.create(
        order=order,
        type=OrderEvent.Type.FEEDBACK,
        reason="review submitted",
        data=data,
        **actor.as_fields(),
    )
    outbox.emit(
        "review.submitted",
        aggregate_type="review",
        aggregate_id=review.pk,
        payload={
            "order": order_payload(order),
            "review": review_payload(review, photo_count=len(photos)),
            "event": {
                "type": OrderEvent.Type.FEEDBACK,
                "reason": "review submitted",
                "actor": actor.label,
                **data,
            },
        },
    )
    logger.info("feedback.review_submitted", extra={"review_id": review.pk, "order_id": order.pk})
    return review


@transaction.atomic
def submit_review(
    *, request: FeedbackRequest, review: ReviewInput, now: datetime | None = None
) -> Review:
    """Write one review through an open request (the caller holds its row lock): only a line of
    the request's order, once per line. Refused with ValidationFailed, writing nothing."""
    feedback_requests.check_open(request, now=now)
    reviewable, errors = validate_reviews(request, [review])
    if errors:
        raise ValidationFailed(errors[0]["message"], code=errors[0]["code"], errors=errors)
    actor = Actor.for_customer(request.customer)
    return _write_review(request, reviewable[review.line_id], review, actor=actor)


@dataclass(frozen=True)
class ReviewAnswer:
    reviews: list[Review]
    nps: Any  # SurveyResponse | None


@transaction.atomic
def answer_review_request(
    *,
    token: str,
    reviews: Sequence[ReviewInput],
    nps_score: int | None = None,
    nps_comment: str = "",
) -> ReviewAnswer:
    """The customer's answer to a review request, from its link: reviews of some or all of the
    order's reviewable lines and/or the NPS score (0-10) with a comment. Written together,
    once: the request's row is locked and stamped answered, so the link works once. A forged,
    expired or used link (NotFound / Conflict) or any invalid part (ValidationFailed, every
    error listed) writes nothing."""
    request = feedback_requests.request_for_link(token, kind=FeedbackRequest.Kind.REVIEW, lock=True)
    reviewable, errors = validate_reviews(request, reviews)
    errors += surveys.nps_errors(nps_score, nps_comment)
    if not errors and not reviews and nps_score is None:
        errors.append(
            _error(
                "",
                "empty_answer",
                _("Rate at least one product or answer the question before sending."),
            )
        )
    if errors:
        raise ValidationFailed(errors[0]["message"], code=errors[0]["code"], errors=errors)
    actor = Actor.for_customer(request.customer)
    written = [
        _write_review(request, reviewable[item.line_id], item, actor=actor) for item in reviews
    ]
    response = None
    if nps_score is not None:
        response = surveys.record_answer(
            request=request,
            kind=surveys.Kind.NPS,
            score=nps_score,
            comment=nps_comment,
            actor=actor,
        )
    feedback_requests.mark_answered(request)
    return ReviewAnswer(reviews=written, nps=response)
