"""Asking for feedback: scheduling the review + NPS request after delivery and the return survey
after a return is resolved, sending the due ones, and opening a request from its signed link.

One request per kind and subject ("order:<id>", "return:<id>"), guaranteed by the unique
constraint (kind, subject): scheduling twice, or from two workers at once, asks once. Sending
locks the request row and re-reads its status, so a request is emailed at most once. A request
is skipped, with its reason, when the customer opted out of non-essential messages or of the
"feedback_requests" topic, or when nothing is left to review."""

import logging
import secrets
from collections import defaultdict
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, F, Max, OuterRef
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from feedback import links
from feedback.models import FeedbackRequest, RequestDelay, Review
from notifications.services import preferences
from oms.actors import Actor
from oms.exceptions import Conflict, NotFound
from orders.models import Order, OrderEvent, OrderLine, Shipment
from orders.services import events as order_events
from returns.models import ReturnRequest, ReturnStatus

logger = logging.getLogger(__name__)

SYSTEM = Actor.system("feedback-requests")
TOPIC = "feedback_requests"
DEFAULT_DELAY_DAYS = 7
# Orders delivered longer ago than this are never asked (a request weeks late reads oddly, and
# the first run on an old store must not email its whole history).
ASK_WITHIN = timedelta(days=60)
# A return is resolved once its money (or exchange) was settled, or it was refused or closed.
RESOLVED_RETURN_STATUSES = (
    ReturnStatus.REFUNDED,
    ReturnStatus.CREDITED,
    ReturnStatus.EXCHANGED,
    ReturnStatus.REJECTED,
    ReturnStatus.CLOSED,
)
# Follow-up orders replace or exchange what the customer already has: not asked again.
NOT_ASKED_CHANNELS = (Order.Channel.EXCHANGE, Order.Channel.REPLACEMENT)
BATCH = 500

Kind = FeedbackRequest.Kind
Status = FeedbackRequest.Status


class SkipReason:
    # Opt-outs take the preference centre's own wording ("opted out", "opted out: <topic>").
    NOTHING_TO_REVIEW = "nothing_to_review"  # every line reviewed or fully returned
    NO_EMAIL = "no_email"


def order_subject(order_id: int) -> str:
    return f"order:{order_id}"


def return_subject(return_id: int) -> str:
    return f"return:{return_id}"


def new_nonce() -> str:
    return secrets.token_urlsafe(16)


# --- Scheduling --------------------------------------------------------------------------------


def delay_days_for(categories: set[str], delays: dict[str, int]) -> int:
    """The longest delay of the order's categories, so every product has been tried; a category
    without its own row takes the default row (blank category), else 7 days."""
    default = delays.get("", DEFAULT_DELAY_DAYS)
    return max((delays.get(category, default) for category in categories), default=default)


def schedule_review_requests(*, now: datetime | None = None, limit: int = BATCH) -> int:
    """Schedule the review + NPS request of delivered orders (in the last 60 days) that have
    none yet, to go out the longest RequestDelay of their categories after delivery. Returns
    how many were created; a repeat (or a concurrent run) creates nothing more."""
    now = now or timezone.now()
    already_asked = FeedbackRequest.objects.filter(kind=Kind.REVIEW, order_id=OuterRef("pk"))
    # Start from the parcels delivered in the window (an index range), not every order ever
    # delivered: the sweep runs every ten minutes on a store with years of history.
    recently_delivered = Shipment.objects.filter(delivered_at__gte=now - ASK_WITHIN).values(
        "order_id"
    )
    candidates = list(
        Order.objects.filter(status=Order.Status.DELIVERED, pk__in=recently_delivered)
        .exclude(channel__in=NOT_ASKED_CHANNELS)
        .annotate(delivered_at=Max("shipments__delivered_at"))
        .filter(delivered_at__gte=now - ASK_WITHIN)
        .exclude(Exists(already_asked))
        .order_by("delivered_at", "pk")
        .values_list("pk", "customer_id", "delivered_at")[:limit]
    )
    if not candidates:
        return 0
    categories: dict[int, set[str]] = defaultdict(set)
    for order_id, category in (
        OrderLine.objects.filter(order_id__in=[pk for pk, *_rest in candidates])
        .values_list("order_id", "variant__product__category")
        .distinct()
    ):
        categories[order_id].add(category or "")
    delays = dict(RequestDelay.objects.values_list("category", "delay_days"))
    requests = [
        FeedbackRequest(
            kind=Kind.REVIEW,
            subject=order_subject(order_id),
            order_id=order_id,
            customer_id=customer_id,
            nonce=new_nonce(),
            scheduled_for=delivered_at
            + timedelta(days=delay_days_for(categories[order_id], delays)),
        )
        for order_id, customer_id, delivered_at in candidates
    ]
    FeedbackRequest.objects.bulk_create(requests, ignore_conflicts=True)
    logger.info("feedback.review_requests_scheduled", extra={"count": len(requests)})
    return len(requests)


def schedule_return_surveys(*, now: datetime | None = None, limit: int = BATCH) -> int:
    """Schedule the return-experience survey, due at once, for returns resolved (refunded,
    credited, exchanged, rejected or closed) in the last 60 days that have none yet."""
    now = now or timezone.now()
    already_asked = FeedbackRequest.objects.filter(
        kind=Kind.RETURN_SURVEY, return_request_id=OuterRef("pk")
    )
    candidates = list(
        ReturnRequest.objects.filter(status__in=RESOLVED_RETURN_STATUSES)
        .annotate(resolved=Coalesce("closed_at", "resolved_at", "updated_at"))
        .filter(resolved__gte=now - ASK_WITHIN)
        .exclude(Exists(already_asked))
        .order_by("resolved", "pk")
        .values_list("pk", "order_id", "customer_id")[:limit]
    )
    requests = [
        FeedbackRequest(
            kind=Kind.RETURN_SURVEY,
            subject=return_subject(return_id),
            order_id=order_id,
            customer_id=customer_id,
            return_request_id=return_id,
            nonce=new_nonce(),
            scheduled_for=now,
        )
        for return_id, order_id, customer_id in candidates
    ]
    if requests:
        FeedbackRequest.objects.bulk_create(requests, ignore_conflicts=True)
        logger.info("feedback.return_surveys_scheduled", extra={"count": len(requests)})
    return len(requests)


# --- Sending -----------------------------------------------------------------------------------


def reviewable_lines(order: Order) -> list[OrderLine]:
    """Lines the customer can still review: received (shipped, not all returned) and without a
    review yet, in line order."""
    reviewed = Review.objects.filter(line_id=OuterRef("pk"))
    return list(
        order.lines.filter(quantity_shipped__gt=0)
        .exclude(quantity_returned__gte=F("quantity_shipped"))
        .exclude(Exists(reviewed))
        .select_related("variant__product")
        .order_by("line_number")
    )


def opt_out_reason(email: str) -> str:
    """Why this address must not be asked ("opted out", "opted out: feedback_requests", no
    address), or "" when it may be: the same rule routing applies to every channel."""
    if not email:
        return SkipReason.NO_EMAIL
    return preferences.opt_out_reason(email, TOPIC)


def _lock_request(request_id: int, *, skip_locked: bool = False) -> FeedbackRequest | None:
    return (
        FeedbackRequest.objects.select_for_update(of=("self",), skip_locked=skip_locked)
        .select_related("order", "return_request")
        .filter(pk=request_id)
        .first()
    )


def _skip(request: FeedbackRequest, reason: str) -> None:
    request.status = Status.SKIPPED
    request.skip_reason = reason
    request.save(update_fields=["status", "skip_reason"])
    logger.info("feedback.request_skipped", extra={"request_id": request.pk, "reason": reason})


@transaction.atomic
def send_request(request_id: int, *, now: datetime | None = None) -> FeedbackRequest | None:
    """Send one due request: emit its outbox event (the email), mark it sent with its expiry,
    and note it on the order's timeline. Skips it (with the reason) for a customer who opted
    out or when nothing is left to review. A request another worker holds, or one no longer
    scheduled, is left alone: a request is sent at most once."""
    now = now or timezone.now()
    request = _lock_request(request_id, skip_locked=True)
    if request is None or request.status != Status.SCHEDULED or request.scheduled_for > now:
        return None
    order = request.order
    reason = opt_out_reason(order.email)
    if reason:
        _skip(request, reason)
        return request
    lines: list[OrderLine] = []
    if request.kind == Kind.REVIEW:
        lines = reviewable_lines(order)
        if not lines:
            _skip(request, SkipReason.NOTHING_TO_REVIEW)
            return request
    request.status = Status.SENT
    request.sent_at = now
    request.expires_at = now + settings.OMS_FEEDBACK_LINK_VALID_FOR
    request.save(update_fields=["status", "sent_at", "expires_at"])
    data = {
        "kind": request.kind,
        "request_id": request.pk,
        "expires_at": request.expires_at,
    }
    if request.kind == Kind.REVIEW:
        data["lines"] = [
            {"line_number": line.line_number, "sku": line.sku, "name": line.name} for line in lines
        ]
        notify = "feedback.review_requested"
        reason_text = "review and NPS request sent"
    else:
        data["rma"] = request.return_request.rma
        notify = "feedback.return_survey_requested"
        reason_text = "return survey sent"
    order_events.record(
        order, OrderEvent.Type.FEEDBACK, actor=SYSTEM, reason=reason_text, data=data, notify=notify
    )
    logger.info("feedback.request_sent", extra={"request_id": request.pk, "kind": request.kind})
    return request


def expire_requests(*, now: datetime | None = None) -> int:
    """Sent requests whose link has expired unanswered are marked expired (for the admin and
    insights' response rates; the link itself already refuses by its date)."""
    now = now or timezone.now()
    return FeedbackRequest.objects.filter(status=Status.SENT, expires_at__lt=now).update(
        status=Status.EXPIRED
    )


def send_due_requests(*, now: datetime | None = None, limit: int = BATCH) -> int:
    """Send every scheduled request whose time has come (at most `limit` per run), each in its
    own transaction. Returns how many were handled (sent or skipped)."""
    now = now or timezone.now()
    due = list(
        FeedbackRequest.objects.filter(status=Status.SCHEDULED, scheduled_for__lte=now)
        .order_by("scheduled_for", "pk")
        .values_list("pk", flat=True)[:limit]
    )
    return sum(1 for request_id in due if send_request(request_id, now=now) is not None)


# --- Opening a link ----------------------------------------------------------------------------


def _expired() -> Conflict:
    return Conflict(_("This link has expired."), code="feedback_link_expired")


def _answered() -> Conflict:
    return Conflict(_("We already have your answer."), code="feedback_already_answered")


def _invalid() -> NotFound:
    return NotFound(_("This link is not valid."), code="feedback_link_invalid")


def check_open(request: FeedbackRequest, *, now: datetime | None = None) -> None:
    """Raise unless the request can still be answered: sent, unanswered and not expired."""
    now = now or timezone.now()
    if request.answered_at is not None or request.status == Status.ANSWERED:
        raise _answered()
    if request.status == Status.EXPIRED or (request.expires_at and request.expires_at <= now):
        raise _expired()
    if request.status != Status.SENT:
        raise _invalid()


def request_for_link(token: str, *, kind: str, lock: bool = False) -> FeedbackRequest:
    """The request a link points at, if the link is genuine, of this kind, fresh and still
    unanswered; locked FOR UPDATE with `lock` (answering takes the lock, so a link answers
    once). Raises NotFound (forged, tampered, another kind, or a retired nonce) or Conflict
    (expired, answered)."""
    try:
        target = links.target_from_token(token)
    except links.LinkExpired:
        raise _expired() from None
    if target is None:
        raise _invalid()
    queryset = FeedbackRequest.objects.select_related("order", "customer", "return_request")
    if lock:
        queryset = queryset.select_for_update(of=("self",))
    request = queryset.filter(pk=target.request_id, kind=kind).first()
    if request is None or not secrets.compare_digest(request.nonce, target.nonce):
        raise _invalid()
    check_open(request)
    return request


def mark_answered(request: FeedbackRequest, *, now: datetime | None = None) -> None:
    """Stamp the (locked) request answered: its link stops working."""
    request.answered_at = now or timezone.now()
    request.status = Status.ANSWERED
    request.save(update_fields=["answered_at", "status"])


def link_for(request: FeedbackRequest) -> str:
    """The customer's signed link to this request's page."""
    if request.kind == Kind.REVIEW:
        return links.review_url(request.pk, request.nonce)
    return links.return_survey_url(request.pk, request.nonce)


def answered_request_for_link(token: str, *, kind: str) -> FeedbackRequest | None:
    """The request a genuine link points at once it has been answered (its thank-you page);
    None for any other link."""
    try:
        target = links.target_from_token(token)
    except links.LinkExpired:
        return None
    if target is None:
        return None
    request = (
        FeedbackRequest.objects.select_related("order", "return_request")
        .filter(pk=target.request_id, kind=kind, answered_at__isnull=False)
        .first()
    )
    if request is None or not secrets.compare_digest(request.nonce, target.nonce):
        return None
    return request
