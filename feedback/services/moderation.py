"""Review moderation: a moderator publishes a review or rejects it with a reason code, once, and
may reply to it at any time. Each decision is on the order's timeline (OrderEvent FEEDBACK with
the actor and the reason) and goes out as review.published / review.rejected; publishing a
review with a photo pays the ReviewReward of the order's currency, once per order line."""

from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from feedback.models import Review, ReviewPhoto, ReviewReward
from feedback.selectors import rating_aggregate
from feedback.services.reviews import review_payload
from notifications import services as outbox
from oms.actors import Actor
from oms.exceptions import Conflict, PermissionDenied, ValidationFailed
from orders.models import OrderEvent
from orders.services.events import order_payload
from returns.models import StoreCreditEntry
from returns.services.store_credit import issue_credit

PERMISSION = "feedback.moderate_reviews"
NOTE_MAX = 500
REPLY_MAX = 2000


def reward_reference(line_id: int) -> str:
    return f"review:{line_id}"


def _check(user) -> Actor:
    if not (user.is_authenticated and user.is_active and user.has_perm(PERMISSION)):
        raise PermissionDenied(
            _("You are not allowed to moderate reviews."), code="cannot_moderate_reviews"
        )
    return Actor.for_user(user)


def _lock_review(review_id: int) -> Review:
    """The review row, locked (with its order, line and customer read alongside): every decision and
    reply takes it first, so two moderators cannot both decide, nor pay the reward twice."""
    return (
        Review.objects.select_for_update(of=("self",))
        .select_related("order", "customer", "line")
        .get(pk=review_id)
    )


def _record(
    review: Review, step: str, *, actor: Actor, reason: str = "", notify: str = "", **data: Any
) -> OrderEvent:
    """The decision on the order's timeline and, with `notify`, its outbox message."""
    data = {
        "kind": "review",
        "step": step,
        "review_id": review.pk,
        "line_number": review.line.line_number,
        "sku": review.line.sku,
        **data,
    }
    event = OrderEvent.objects.create(
        order=review.order,
        type=OrderEvent.Type.FEEDBACK,
        reason=reason[:255],
        data=data,
        **actor.as_fields(),
    )
    if notify:
        event_data = {"type": step, "reason": reason, "actor": actor.label}
        if notify == "review.published":
            event_data["rating"] = rating_aggregate(review.product_id)
        outbox.emit(
            notify,
            aggregate_type="review",
            aggregate_id=review.pk,
            payload={
                "order": order_payload(review.order),
                "review": review_payload(review),
                "event": event_data,
            },
        )
    return event


def _ensure_pending(review: Review) -> None:
    if review.status != Review.Status.PENDING:
        raise Conflict(
            _("This review was already %(status)s.") % {"status": review.get_status_display()},
            code="review_already_decided",
            extra={"status": review.status},
        )


def _pay_reward(review: Review, actor: Actor) -> StoreCreditEntry | None:
    """Store credit for a published review with a photo, in the order's currency, when the
    programme has an active reward for it. Idempotent by the line (the ledger's reference)."""
    if not ReviewPhoto.objects.filter(review_id=review.pk).exists():
        return None
    order = review.order
    reward = ReviewReward.objects.filter(currency=order.currency, is_active=True).first()
    if reward is None or reward.amount <= 0:
        return None
    return issue_credit(
        customer=review.customer,
        amount=reward.amount,
        currency=order.currency,
        kind=StoreCreditEntry.Kind.REVIEW_REWARD,
        reference=reward_reference(review.line_id),
        reason="Review with a photo",
        actor=actor,
        order=order,
    )


@transaction.atomic
def publish_review(review_id: int, *, user, note: str = "") -> Review:
    """Publish a pending review (a decided one is refused: Conflict review_already_decided).
    Pays the photo reward once per line, on the timeline with the decision."""
    actor = _check(user)
    review = _lock_review(review_id)
    _ensure_pending(review)
    now = timezone.now()
    review.status = Review.Status.PUBLISHED
    review.moderated_by_id = actor.user_id
    review.moderated_at = now
    review.published_at = now
    review.moderation_note = note.strip()[:NOTE_MAX]
    review.save(
        update_fields=[
            "status",
            "moderated_by",
            "moderated_at",
            "published_at",
            "moderation_note",
            "updated_at",
        ]
    )
    entry = _pay_reward(review, actor)
    reward = {}
    if entry is not None:
        reward = {"reward_amount": entry.amount, "reward_currency": entry.currency}
    _record(
        review,
        "review_published",
        actor=actor,
        reason=review.moderation_note,
        notify="review.published",
        rating=review.rating,
        **reward,
    )
    return review


@transaction.atomic
def reject_review(review_id: int, *, user, reason_code: str, note: str = "") -> Review:
    """Reject a pending review with a reason code (one of Review.RejectionReason); the
    storefront never shows it and it earns no reward."""
    actor = _check(user)
    if reason_code not in Review.RejectionReason.values:
        raise ValidationFailed(
            _("Choose a reason for rejecting the review."),
            code="invalid_rejection_reason",
            errors=[
                {
                    "field": "reason_code",
                    "code": "invalid_choice",
                    "message": _("Choose one of the reasons."),
                }
            ],
        )
    review = _lock_review(review_id)
    _ensure_pending(review)
    review.status = Review.Status.REJECTED
    review.rejection_reason = reason_code
    review.moderated_by_id = actor.user_id
    review.moderated_at = timezone.now()
    review.moderation_note = note.strip()[:NOTE_MAX]
    review.save(
        update_fields=[
            "status",
            "rejection_reason",
            "moderated_by",
            "moderated_at",
            "moderation_note",
            "updated_at",
        ]
    )
    _record(
        review,
        "review_rejected",
        actor=actor,
        reason=review.get_rejection_reason_display()
        + (f": {review.moderation_note}" if review.moderation_note else ""),
        notify="review.rejected",
        rating=review.rating,
        rejection_reason=reason_code,
    )
    return review


@transaction.atomic
def reply_to_review(review_id: int, *, user, text: str) -> Review:
    """The store's public answer under a review, in any status (it can be corrected later).
    On a published review the storefront learns it through review.published again."""
    actor = _check(user)
    text = (text or "").strip()
    if not text or len(text) > REPLY_MAX:
        raise ValidationFailed(
            _("Write a reply of at most %(max)s characters.") % {"max": REPLY_MAX},
            code="invalid_reply",
            errors=[{"field": "text", "code": "invalid", "message": _("1 to 2000 characters.")}],
        )
    review = _lock_review(review_id)
    review.reply = text
    review.replied_by_id = actor.user_id
    review.replied_at = timezone.now()
    review.save(update_fields=["reply", "replied_by", "replied_at", "updated_at"])
    _record(
        review,
        "review_replied",
        actor=actor,
        reason=text[:255],
        notify="review.published" if review.status == Review.Status.PUBLISHED else "",
    )
    return review
