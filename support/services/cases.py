"""Support cases: opening one for a customer contact, notes, further contacts, status changes,
resolution with an optional satisfaction survey, and the customer's answer to it.

Every write adds a CaseEvent naming its actor and emits `case.opened` / `case.updated` (and
`case.survey_requested`) through the outbox in the same transaction. Status changes lock the
case row first (support.selectors.cases.lock_case).
"""

import logging
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from notifications.services import outbox
from oms.actors import Actor
from oms.exceptions import Conflict, NotFound, ValidationFailed
from orders.models import Customer, Order, Shipment
from orders.services.events import order_payload
from support import links
from support.models import Case, CaseEvent
from support.selectors.cases import lock_case

logger = logging.getLogger(__name__)

SUBJECT_MAX = 200
TEXT_MAX = 5000
COMMENT_MAX = 2000
STATUS = Case.Status
# Which status a case may move to from each status (reopening goes back to open).
TRANSITIONS: dict[str, frozenset[str]] = {
    STATUS.OPEN: frozenset({STATUS.WAITING_ON_CUSTOMER, STATUS.RESOLVED}),
    STATUS.WAITING_ON_CUSTOMER: frozenset({STATUS.OPEN, STATUS.RESOLVED}),
    STATUS.RESOLVED: frozenset({STATUS.OPEN}),
}


# --- Payloads ----------------------------------------------------------------------------------


def case_payload(case: Case) -> dict[str, Any]:
    """The case part of every case event's payload (catalogue version 1)."""
    return {
        "id": case.pk,
        "reference": case.reference,
        "channel": case.channel,
        "reason": case.reason,
        "status": case.status,
        "customer_id": case.customer_id,
    }


def case_locale(case: Case) -> str:
    """The customer's language for this case: the order's (its emails were in it), else the
    customer's own."""
    return case.order.locale if case.order_id else case.customer.locale


def recipient_payload(case: Case) -> dict[str, Any]:
    """Who the case is about, shaped like an order payload so routing and emails work: the whole
    order when there is one (its live topic hears of the case), else email, name and language."""
    if case.order_id:
        return order_payload(case.order)
    customer = case.customer
    return {"email": customer.email, "customer_name": customer.name, "locale": customer.locale}


def _emit(event_name: str, case: Case, *, actor: Actor, event_type: str, **data: Any) -> None:
    outbox.emit(
        event_name,
        aggregate_type="case",
        aggregate_id=case.pk,
        payload={
            "case": case_payload(case),
            "order": recipient_payload(case),
            "event": {"type": event_type, "actor": actor.label, **data},
        },
    )


def _event(case: Case, event_type: str, *, actor: Actor, text: str = "", **data) -> CaseEvent:
    return CaseEvent.objects.create(
        case=case, type=event_type, text=text, data=data, **actor.as_fields()
    )


def _error(field: str, code: str, message: str) -> dict[str, str]:
    return {"field": field, "code": code, "message": message}


def _invalid(field: str, code: str, message: str) -> ValidationFailed:
    return ValidationFailed(message, code=code, errors=[_error(field, code, message)])


def _clean_text(value: str, *, field: str, limit: int, required: bool = False) -> str:
    value = (value or "").strip()
    if required and not value:
        raise _invalid(field, "required", _("This field is required."))
    if len(value) > limit:
        raise _invalid(
            field, "too_long", _("At most %(limit)d characters, please.") % {"limit": limit}
        )
    return value


# --- Opening a case ----------------------------------------------------------------------------


def _check_concerns(
    customer: Customer, order: Order | None, shipment: Shipment | None
) -> tuple[Order | None, list[dict]]:
    errors = []
    if shipment is not None and order is None:
        order = shipment.order
    if order is not None and order.customer_id != customer.pk:
        errors.append(
            _error("order", "order_not_of_customer", _("This order belongs to another customer."))
        )
    if shipment is not None and order is not None and shipment.order_id != order.pk:
        errors.append(
            _error(
                "shipment", "shipment_not_of_order", _("This shipment is not part of the order.")
            )
        )
    return order, errors


@transaction.atomic
def open_case(
    *,
    customer: Customer,
    channel: str,
    reason: str,
    subject: str,
    note: str = "",
    order: Order | None = None,
    shipment: Shipment | None = None,
    actor: Actor,
    user=None,
) -> Case:
    """Record a customer contact as a case, assigned to the rep who took it. The order and the
    shipment must be the customer's (a shipment alone brings its order along)."""
    errors = []
    if channel not in Case.Channel.values:
        errors.append(_error("channel", "invalid_choice", _("Choose a channel.")))
    if reason not in Case.Reason.values:
        errors.append(_error("reason", "invalid_choice", _("Choose a reason.")))
    try:
        subject = _clean_text(subject, field="subject", limit=SUBJECT_MAX, required=True)
        note = _clean_text(note, field="note", limit=TEXT_MAX)
    except ValidationFailed as exc:
        errors += exc.errors
    order, concern_errors = _check_concerns(customer, order, shipment)
    errors += concern_errors
    if errors:
        raise ValidationFailed(errors[0]["message"], code=errors[0]["code"], errors=errors)

    now = timezone.now()
    case = Case.objects.create(
        customer=customer,
        order=order,
        shipment=shipment,
        channel=channel,
        reason=reason,
        subject=subject,
        opened_by=user,
        assigned_to=user,
        opened_at=now,
        last_contact_at=now,
    )
    _event(case, CaseEvent.Type.OPENED, actor=actor, text=subject, channel=channel, reason=reason)
    if note:
        _event(case, CaseEvent.Type.NOTE, actor=actor, text=note)
    _emit("case.opened", case, actor=actor, event_type=CaseEvent.Type.OPENED)
    logger.info("support.case_opened", extra={"case_id": case.pk, "reason": reason})
    return case


# --- Notes and contacts ------------------------------------------------------------------------


def _locked(case: Case) -> Case:
    return lock_case(case.pk)


@transaction.atomic
def add_note(*, case: Case, text: str, actor: Actor) -> CaseEvent:
    """An internal note on the case (the customer does not see it)."""
    text = _clean_text(text, field="text", limit=TEXT_MAX, required=True)
    case = _locked(case)
    event = _event(case, CaseEvent.Type.NOTE, actor=actor, text=text)
    _emit("case.updated", case, actor=actor, event_type=CaseEvent.Type.NOTE)
    return event


@transaction.atomic
def log_contact(*, case: Case, channel: str, note: str = "", actor: Actor) -> Case:
    """The customer contacted us again about this case: one more contact (so it is no longer a
    first-contact resolution), and a resolved case opens again."""
    if channel not in Case.Channel.values:
        raise _invalid("channel", "invalid_choice", _("Choose a channel."))
    note = _clean_text(note, field="note", limit=TEXT_MAX)
    case = _locked(case)
    previous = case.status
    case.contact_count += 1
    case.last_contact_at = timezone.now()
    fields = ["contact_count", "last_contact_at"]
    if previous == STATUS.RESOLVED:
        case.status, case.resolved_at = STATUS.OPEN, None
        fields += ["status", "resolved_at"]
    case.save(update_fields=fields)
    _event(
        case,
        CaseEvent.Type.CONTACT,
        actor=actor,
        text=note,
        channel=channel,
        contact_count=case.contact_count,
    )
    if previous != case.status:
        _event(
            case,
            CaseEvent.Type.STATUS,
            actor=actor,
            text=_("Reopened: the customer contacted us again."),
            **{"from": previous, "to": case.status},
        )
    _emit(
        "case.updated",
        case,
        actor=actor,
        event_type=CaseEvent.Type.CONTACT,
        contact_count=case.contact_count,
    )
    return case


# --- Status and resolution ---------------------------------------------------------------------


@transaction.atomic
def change_status(
    *,
    case: Case,
    to: str,
    actor: Actor,
    resolution: str = "",
    send_survey: bool = False,
) -> Case:
    """Move the case to open, waiting on the customer, or resolved. Resolving needs a resolution
    text and may send the satisfaction survey (see `resolve_case`)."""
    if to not in STATUS.values:
        raise _invalid("status", "invalid_choice", _("Choose a status."))
    if to == STATUS.RESOLVED:
        resolution = _clean_text(resolution, field="resolution", limit=TEXT_MAX, required=True)
    else:
        resolution = _clean_text(resolution, field="resolution", limit=TEXT_MAX)
    case = _locked(case)
    previous = case.status
    if to not in TRANSITIONS[previous]:
        message = (
            _("The case is already resolved.")
            if to == previous == STATUS.RESOLVED
            else _("The case cannot go from “%(from)s” to “%(to)s”.")
            % {"from": STATUS(previous).label, "to": STATUS(to).label}
        )
        raise Conflict(
            message,
            code="case_status_unchanged" if to == previous else "invalid_case_transition",
            errors=[{"field": "status", "code": "invalid_case_transition", "message": message}],
        )
    now = timezone.now()
    case.status = to
    case.resolved_at = now if to == STATUS.RESOLVED else None
    if to == STATUS.RESOLVED:
        case.resolution = resolution
    case.save(update_fields=["status", "resolved_at", "resolution"])
    _event(
        case, CaseEvent.Type.STATUS, actor=actor, text=resolution, **{"from": previous, "to": to}
    )
    _emit(
        "case.updated",
        case,
        actor=actor,
        event_type=CaseEvent.Type.STATUS,
        **{"from": previous, "to": to},
    )
    if to == STATUS.RESOLVED and send_survey:
        _request_survey(case, actor=actor, now=now)
    return case


def resolve_case(*, case: Case, resolution: str, send_survey: bool, actor: Actor) -> Case:
    """Resolve the case with what was done. With `send_survey`, the customer is emailed a link
    to a 1-5 satisfaction survey (non-essential: skipped for customers who opted out; not sent
    again once answered)."""
    return change_status(
        case=case,
        to=STATUS.RESOLVED,
        resolution=resolution,
        send_survey=send_survey,
        actor=actor,
    )


def _request_survey(case: Case, *, actor: Actor, now) -> None:
    if case.csat_answered_at is not None:
        return  # asked and answered already: one answer per case
    case.csat_sent_at = now
    case.save(update_fields=["csat_sent_at"])
    url = links.survey_url(case.pk)
    _event(case, CaseEvent.Type.SURVEY_SENT, actor=actor)
    _emit(
        "case.survey_requested",
        case,
        actor=actor,
        event_type=CaseEvent.Type.SURVEY_SENT,
        survey_url=url,
    )


# --- The customer's answer ---------------------------------------------------------------------


def case_for_survey(token: str) -> Case:
    """The case a survey link points at, if the link is genuine, fresh and still unanswered.
    Raises NotFound (forged, or no survey was sent) or Conflict (expired, answered)."""
    try:
        case_id = links.case_id_from_token(token)
    except links.SurveyLinkExpired:
        raise Conflict(_("This survey link has expired."), code="survey_link_expired") from None
    case = (
        Case.objects.select_related("customer", "order").filter(pk=case_id).first()
        if case_id is not None
        else None
    )
    if case is None or case.csat_sent_at is None:
        raise NotFound(_("This survey link is not valid."), code="survey_link_invalid")
    if case.csat_answered_at is not None:
        raise Conflict(_("This survey was already answered."), code="survey_already_answered")
    return case


@transaction.atomic
def record_survey_answer(*, token: str, score: int, comment: str = "") -> Case:
    """Record the customer's satisfaction (1-5, optional comment) once. A second answer, an
    expired or a forged link is refused and changes nothing."""
    case = case_for_survey(token)
    if not isinstance(score, int) or isinstance(score, bool) or not 1 <= score <= 5:
        raise _invalid("score", "invalid_score", _("Choose a score from 1 to 5."))
    comment = _clean_text(comment, field="comment", limit=COMMENT_MAX)
    locked = _locked(case)
    if locked.csat_answered_at is not None:  # answered between the read and the lock
        raise Conflict(_("This survey was already answered."), code="survey_already_answered")
    locked.csat_score, locked.csat_comment = score, comment
    locked.csat_answered_at = timezone.now()
    locked.save(update_fields=["csat_score", "csat_comment", "csat_answered_at"])
    actor = Actor.for_customer(locked.customer)
    _event(locked, CaseEvent.Type.SURVEY_ANSWERED, actor=actor, text=comment, score=score)
    _emit(
        "case.updated",
        locked,
        actor=actor,
        event_type=CaseEvent.Type.SURVEY_ANSWERED,
        score=score,
    )
    logger.info("support.survey_answered", extra={"case_id": locked.pk, "score": score})
    return locked
