"""The return's decisions and dead ends: approve (with its label), reject, cancel, expire, close.

Every transition takes the order lock then the return's (returns.selectors.lock_return), checks
the return's TRANSITIONS table, writes the return event, the order event and the outbox message
together, and treats a repeat of the same transition as a no-op (a retried request or task).
Money is released by returns.services.refunds; this module only says when."""

import logging
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from oms.actors import Actor
from oms.exceptions import InsufficientStock, InvalidTransition, ValidationFailed
from returns import policy, selectors
from returns.models import Resolution, ReturnEvent, ReturnRequest, ReturnStatus
from returns.services import events, exchanges, numbers

logger = logging.getLogger(__name__)

S = ReturnStatus
POLICY_ACTOR = Actor.system("return-policy")
EXPIRY_ACTOR = Actor.system("return-expiry")


def refuse(return_request: ReturnRequest, status: str, code: str) -> InvalidTransition:
    """The error for a transition the table does not allow, with a stable code."""
    return InvalidTransition(
        _("Return %(rma)s is %(status)s and cannot become %(target)s.")
        % {
            "rma": return_request.rma,
            "status": return_request.get_status_display(),
            "target": S(status).label,
        },
        code=code,
        extra={"current_status": return_request.status, "target": status},
    )


def release_refund(return_request: ReturnRequest, *, actor: Actor, reason: str) -> ReturnRequest:
    """Hand over to the money side (returns.services.refunds), which releases what the policy
    allows at this point and is idempotent. Imported here, not at the top: refunds builds on
    these transitions (it moves the return to refunded/credited/exchanged). Returns the return
    as the release left it."""
    from returns.services import refunds

    return refunds.release_refund(return_request=return_request, actor=actor, reason=reason)


def ship_within_days(return_request: ReturnRequest) -> int:
    """Days the customer has to hand the parcel over: the return's own policy, else the
    active one."""
    chosen = return_request.policy if return_request.policy_id else policy.active_policy()
    return chosen.ship_within_days


@transaction.atomic
def approve_return(
    *, return_request: ReturnRequest, actor: Actor, reason: str = ""
) -> ReturnRequest:
    """Approve a requested return. A parcel return gets its label (return carrier and tracking
    number) and a deadline to ship (the policy's ship_within_days); a keep-it return needs no
    parcel and is resolved at once."""
    r = selectors.lock_return(return_request.pk)
    if r.status == S.APPROVED:
        return r
    if not r.can_transition_to(S.APPROVED):
        raise refuse(r, S.APPROVED, "return_not_approvable")
    now = timezone.now()
    r.status = S.APPROVED
    r.approved_at = now
    r.decision_reason = reason[:255]
    if not r.is_keep_it:
        r.expires_at = now + timedelta(days=ship_within_days(r))
        r.carrier = numbers.RETURN_CARRIER
        r.tracking_number = numbers.new_tracking_number()
    r.save(
        update_fields=[
            "status",
            "approved_at",
            "decision_reason",
            "expires_at",
            "carrier",
            "tracking_number",
            "updated_at",
        ]
    )
    events.record(
        r,
        ReturnEvent.Type.APPROVED,
        actor=actor,
        reason=reason,
        data={"expires_at": r.expires_at, "is_keep_it": r.is_keep_it},
        notify="return.approved",
    )
    if r.is_keep_it:
        r = release_refund(r, actor=actor, reason="keep it: no parcel")
    else:
        events.record(
            r,
            ReturnEvent.Type.LABEL_CREATED,
            actor=actor,
            data={"carrier": r.carrier, "tracking_number": r.tracking_number},
        )
        if r.is_instant_exchange and r.resolution == Resolution.EXCHANGE:
            r = _place_instant_exchange(r, actor=actor)
    logger.info("returns.approved", extra={"rma": r.rma, "actor": actor.label})
    return r


def _place_instant_exchange(r: ReturnRequest, *, actor: Actor) -> ReturnRequest:
    """An instant exchange ships its replacement as soon as the return is approved. When the
    replacement cannot be placed (out of stock, a variant withdrawn) the approval stands and
    the return goes on as a normal exchange, placed when the parcel arrives."""
    try:
        exchanges.place_exchange_order(return_request=r, actor=actor)
    except (InsufficientStock, ValidationFailed) as exc:
        r.is_instant_exchange = False
        r.save(update_fields=["is_instant_exchange", "updated_at"])
        events.record(
            r,
            ReturnEvent.Type.NOTE,
            actor=actor,
            reason="instant_exchange_not_placed",
            data={"code": exc.code, "message": exc.message},
        )
        logger.warning("returns.instant_exchange_not_placed", extra={"rma": r.rma})
        return r
    return selectors.lock_return(r.pk)


def _settle_instant_exchange_hold(r: ReturnRequest, *, actor: Actor) -> None:
    """An instant exchange's hold ends with the return: voided once it arrives, captured when
    it is cancelled or expires (the customer kept both). After commit, once."""
    if r.is_instant_exchange and r.exchange_order_id:
        exchanges.settle_exchange_hold_on_commit(return_request=r, actor=actor)


@transaction.atomic
def reject_return(*, return_request: ReturnRequest, actor: Actor, reason: str) -> ReturnRequest:
    """Refuse a requested return; the customer is told why, so a reason is required."""
    if not (reason or "").strip():
        raise ValidationFailed(
            _("Say why the return is rejected."),
            code="reason_required",
            errors=[{"field": "reason", "code": "required", "message": _("Give a reason.")}],
        )
    r = selectors.lock_return(return_request.pk)
    if r.status == S.REJECTED:
        return r
    if not r.can_transition_to(S.REJECTED):
        raise refuse(r, S.REJECTED, "return_not_rejectable")
    r.status = S.REJECTED
    r.decision_reason = reason.strip()[:255]
    r.save(update_fields=["status", "decision_reason", "updated_at"])
    events.record(
        r, ReturnEvent.Type.REJECTED, actor=actor, reason=reason.strip(), notify="return.rejected"
    )
    logger.info("returns.rejected", extra={"rma": r.rma, "actor": actor.label})
    return r


@transaction.atomic
def cancel_return(
    *, return_request: ReturnRequest, actor: Actor, reason: str = ""
) -> ReturnRequest:
    """Cancel a return before its parcel is on the way (requested or approved), by the customer
    or a rep. An instant exchange's replacement stays with the customer: its hold is captured
    (returns.services.exchanges.settle_exchange_hold)."""
    r = selectors.lock_return(return_request.pk)
    if r.status == S.CANCELLED:
        return r
    if not r.can_transition_to(S.CANCELLED):
        raise refuse(r, S.CANCELLED, "return_not_cancellable")
    r.status = S.CANCELLED
    r.save(update_fields=["status", "updated_at"])
    events.record(
        r, ReturnEvent.Type.CANCELLED, actor=actor, reason=reason, notify="return.cancelled"
    )
    _settle_instant_exchange_hold(r, actor=actor)
    logger.info("returns.cancelled", extra={"rma": r.rma, "actor": actor.label})
    return r


@transaction.atomic
def close_return(*, return_request: ReturnRequest, actor: Actor, reason: str = "") -> ReturnRequest:
    """Close a return whose work is done (resolved, or inspected with nothing to pay)."""
    r = selectors.lock_return(return_request.pk)
    if r.status == S.CLOSED:
        return r
    if not r.can_transition_to(S.CLOSED):
        raise refuse(r, S.CLOSED, "return_not_closable")
    r.status = S.CLOSED
    r.closed_at = timezone.now()
    r.save(update_fields=["status", "closed_at", "updated_at"])
    events.record(r, ReturnEvent.Type.CLOSED, actor=actor, reason=reason, notify="return.closed")
    logger.info("returns.closed", extra={"rma": r.rma, "actor": actor.label})
    return r


def expire_returns(*, now: datetime | None = None, limit: int = 500) -> int:
    """Expire approved returns whose parcel was never scanned by their deadline. The candidates
    are read in one indexed query; each is expired in its own transaction under its lock and
    checked again there (a scan may have arrived meanwhile). Returns how many expired."""
    now = now or timezone.now()
    candidates = list(
        ReturnRequest.objects.filter(status=S.APPROVED, expires_at__lt=now)
        .order_by("expires_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )
    expired = sum(_expire_one(pk, now) for pk in candidates)
    if candidates:
        logger.info(
            "returns.expiry_sweep", extra={"candidates": len(candidates), "expired": expired}
        )
    return expired


@transaction.atomic
def _expire_one(return_id: int, now: datetime) -> bool:
    r = selectors.lock_return(return_id)
    if r.status != S.APPROVED or r.expires_at is None or r.expires_at >= now:
        return False
    r.status = S.EXPIRED
    r.save(update_fields=["status", "updated_at"])
    events.record(
        r,
        ReturnEvent.Type.EXPIRED,
        actor=EXPIRY_ACTOR,
        reason="no carrier scan before the deadline",
        data={"expires_at": r.expires_at},
        notify="return.expired",
    )
    _settle_instant_exchange_hold(r, actor=EXPIRY_ACTOR)
    return True
