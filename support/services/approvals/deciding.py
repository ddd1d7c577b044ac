"""Deciding a waiting request: approve (apply it once, the approver named), reject, or withdraw."""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from oms.actors import Actor
from oms.exceptions import Conflict, DomainError, NotFound, PermissionDenied, ValidationFailed
from orders import selectors
from orders.models import Order, OrderEvent
from orders.services import events
from support.access import can
from support.models import ApprovalRequest
from support.services import case_links
from support.services.approvals.applying import action_summary, apply_action
from support.services.authority import decide_authority

Status = ApprovalRequest.Status


def _lock_request(request_id: int) -> ApprovalRequest:
    request = (
        ApprovalRequest.objects.select_for_update(of=("self",))
        .select_related("order", "requested_by")
        .filter(pk=request_id)
        .first()
    )
    if request is None:
        raise NotFound(
            _("Approval request %(id)s does not exist.") % {"id": request_id},
            code="request_not_found",
        )
    return request


def _require_pending(request: ApprovalRequest) -> None:
    if request.status != Status.PENDING:
        raise Conflict(
            _("This request is already %(status)s.")
            % {"status": request.get_status_display().lower()},
            code="request_not_pending",
            extra={"status": request.status},
        )


def _require_decider(request: ApprovalRequest, user) -> None:
    if not can(user, "approve_requests"):
        raise PermissionDenied(
            _("Only supervisors can approve or reject requests."), code="cannot_approve"
        )
    if request.requested_by_id == user.pk:
        raise PermissionDenied(
            _("Nobody approves or rejects their own request."), code="own_request"
        )


def _record_decision(
    request: ApprovalRequest, *, order: Order, actor: Actor, decision: str
) -> None:
    events.record(
        order,
        OrderEvent.Type.APPROVAL_DECIDED,
        actor=actor,
        reason=request.reason_code,
        data={
            "request_id": request.pk,
            "action": request.action,
            "amount": request.amount,
            "decision": decision,
            "requested_by": request.requested_by.get_username(),
            "decision_note": request.decision_note,
            "failure": request.failure,
        },
        notify="approval.decided",
    )
    case_links.record_action(
        case=request.case,
        actor=actor,
        action="approval_decided",
        summary=_("Request %(id)s %(decision)s: %(what)s")
        % {
            "id": request.pk,
            "decision": request.get_status_display().lower(),
            "what": action_summary(request.action, request.amount, order),
        },
        order=order,
        data={"request_id": request.pk, "decision": decision},
    )


@transaction.atomic
def approve_request(*, request_id: int, user, note: str = "") -> ApprovalRequest:
    """Approve and apply exactly the request's payload, with the approver named on it. The
    approver needs `approve_requests`, must not be the requester, and their own authority must
    cover the amount (with what the order already had). If applying fails (the order was
    cancelled meanwhile, stock ran out), the request is marked failed with the reason and
    nothing else changes. Approving twice: Conflict, nothing applied twice."""
    if not can(user, "approve_requests"):
        raise PermissionDenied(
            _("Only supervisors can approve or reject requests."), code="cannot_approve"
        )
    request = _lock_request(request_id)
    _require_pending(request)
    _require_decider(request, user)
    order = selectors.lock_order(request.order_id)
    decision = decide_authority(
        user=user,
        action=request.action,
        order=order,
        amount=request.amount,
        count_pending=False,
    )
    if decision.needs_approval:
        raise PermissionDenied(
            _("This is above your authority too.") + " " + decision.explanation,
            code="above_approver_authority",
            extra={"limit": decision.limit, "used_on_order": decision.used_on_order},
        )
    actor = Actor.for_user(user)
    request.decided_by, request.decided_at = user, timezone.now()
    request.decision_note = (note or "").strip()
    try:
        with transaction.atomic():
            apply_action(
                action=request.action,
                order=order,
                payload=request.payload,
                reason_code=request.reason_code,
                note=request.note,
                actor=actor,
                approved_by=user.get_username(),
            )
    except DomainError as exc:
        request.status = Status.FAILED
        request.failure = exc.message[:255]
        decision_name = "failed"
    else:
        request.status = Status.APPROVED
        decision_name = "approved"
    request.save(update_fields=["status", "decided_by", "decided_at", "decision_note", "failure"])
    order.refresh_from_db()
    _record_decision(request, order=order, actor=actor, decision=decision_name)
    return request


@transaction.atomic
def reject_request(*, request_id: int, user, note: str) -> ApprovalRequest:
    """Reject a pending request with a note saying why; nothing is applied."""
    if not can(user, "approve_requests"):
        raise PermissionDenied(
            _("Only supervisors can approve or reject requests."), code="cannot_approve"
        )
    note = (note or "").strip()
    if not note:
        raise ValidationFailed(
            _("Say why the request is rejected."),
            code="decision_note_required",
            errors=[
                {"field": "note", "code": "required", "message": _("Say why, for the requester.")}
            ],
        )
    request = _lock_request(request_id)
    _require_pending(request)
    _require_decider(request, user)
    order = selectors.lock_order(request.order_id)
    request.status, request.decided_by, request.decided_at = Status.REJECTED, user, timezone.now()
    request.decision_note = note
    request.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
    _record_decision(request, order=order, actor=Actor.for_user(user), decision="rejected")
    return request


@transaction.atomic
def withdraw_request(*, request_id: int, user) -> ApprovalRequest:
    """The requester takes back a request still pending (it is cancelled, nothing applied)."""
    request = _lock_request(request_id)
    if request.requested_by_id != user.pk:
        raise PermissionDenied(
            _("Only the requester can withdraw a request."), code="not_requester"
        )
    _require_pending(request)
    order = selectors.lock_order(request.order_id)
    request.status, request.decided_at = Status.CANCELLED, timezone.now()
    request.save(update_fields=["status", "decided_at"])
    _record_decision(request, order=order, actor=Actor.for_user(user), decision="withdrawn")
    return request
