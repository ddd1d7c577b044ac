"""Asking for a return: the customer (portal), a rep (console) or an integrator (API) submits
lines, reasons and a resolution; the policy engine decides under the order lock, so two
requests for the same units can never both succeed; what the estimate said is written down,
and the return is approved at once when the policy needs no review."""

import dataclasses
import logging

from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from oms.actors import Actor
from oms.exceptions import Conflict, ValidationFailed
from orders import selectors as order_selectors
from orders.models import Order
from returns import policy
from returns.models import RequestedVia, Resolution, ReturnEvent, ReturnLine, ReturnRequest
from returns.policy import statutory, zones
from returns.policy.types import Estimate, RequestedLine
from returns.services import events, numbers, transitions
from returns.services import photos as photo_service

logger = logging.getLogger(__name__)


def _error(field: str, code: str, message: str) -> dict[str, str]:
    return {"field": field, "code": code, "message": message}


def _input_errors(
    *,
    lines: list[RequestedLine],
    resolution: str,
    via: str,
    is_instant_exchange: bool,
    photos: dict[int, list[UploadedFile]],
) -> list[dict[str, str]]:
    """What the lifecycle itself checks (the policy checks the rest): the channel, instant
    exchange only with an exchange, and each line's photos (type, size, count)."""
    errors = []
    if via not in RequestedVia.values:
        errors.append(_error("via", "invalid_choice", _("Unknown request channel.")))
    if is_instant_exchange and resolution != Resolution.EXCHANGE:
        errors.append(
            _error(
                "is_instant_exchange",
                "instant_exchange_needs_exchange",
                _("An instant exchange is only possible when you choose an exchange."),
            )
        )
    index_of = {line.order_line_id: index for index, line in enumerate(lines)}
    for order_line_id, files in photos.items():
        if order_line_id not in index_of:
            errors.append(
                _error(
                    "photos",
                    "unknown_line",
                    _("Photos were attached to an item that is not being returned."),
                )
            )
            continue
        errors += photo_service.photos_errors(
            list(files), field=f"lines[{index_of[order_line_id]}].photos"
        )
    return errors


def _instant_exchange_errors(active_policy, is_instant_exchange: bool) -> list[dict[str, str]]:
    if is_instant_exchange and not active_policy.offers_instant_exchange:
        return [
            _error(
                "is_instant_exchange",
                "instant_exchange_not_offered",
                _("Instant exchanges are not offered."),
            )
        ]
    return []


def _existing(reference: str, order: Order) -> ReturnRequest | None:
    """The return a retry with the same reference already created. The same reference for
    another order is a caller's bug, refused rather than answered with someone else's return."""
    if not reference:
        return None
    existing = ReturnRequest.objects.filter(idempotency_reference=reference).first()
    if existing is not None and existing.order_id != order.pk:
        raise Conflict(
            _("This request reference was already used for another order."),
            code="idempotency_reference_reused",
        )
    return existing


@transaction.atomic
def request_return(
    *,
    order: Order,
    lines: list[RequestedLine],
    resolution: str,
    actor: Actor,
    via: str,
    is_withdrawal: bool = False,
    is_instant_exchange: bool = False,
    note: str = "",
    photos: dict[int, list[UploadedFile]] | None = None,
    idempotency_reference: str = "",
) -> ReturnRequest:
    """Create a return (RMA) for units of `order`, as the policy allows them now.

    Under the order lock the policy recomputes what is still returnable (units in other open
    returns excluded), so of two requests racing for the last unit one gets it and the other a
    ValidationFailed carrying the policy's field errors; a refused request writes nothing.
    `photos` maps order line ids to uploaded files. A statutory withdrawal is acknowledged with
    the exact time it was received (an EU requirement). Without a review rule the return is
    approved at once; a keep-it return is resolved at once. With `idempotency_reference` a
    retry answers with the return the first call created."""
    reference = (idempotency_reference or "").strip()[:100]
    locked = order_selectors.lock_order(order.pk)
    existing = _existing(reference, locked)
    if existing is not None:
        return existing
    photos = {int(k): list(v) for k, v in (photos or {}).items()}
    lines = [
        dataclasses.replace(line, photo_count=len(photos.get(line.order_line_id, [])))
        if photos
        else line
        for line in lines
    ]
    errors = _input_errors(
        lines=lines,
        resolution=resolution,
        via=via,
        is_instant_exchange=is_instant_exchange,
        photos=photos,
    )
    active_policy = policy.active_policy()
    errors += _instant_exchange_errors(active_policy, is_instant_exchange)
    estimate = policy.estimate(
        locked,
        lines,
        resolution=resolution,
        is_withdrawal=is_withdrawal,
        policy=active_policy,  # the one the return will name, loaded once
    )
    errors = list(estimate.errors) + errors
    if errors:
        raise ValidationFailed(
            _("This return cannot be accepted."), code="return_not_allowed", errors=errors
        )
    return_request, created_lines = _create(
        order=locked,
        lines=lines,
        estimate=estimate,
        active_policy=active_policy,
        actor=actor,
        via=via,
        is_instant_exchange=is_instant_exchange,
        note=note,
        reference=reference,
    )
    for line in created_lines:
        files = photos.get(line.order_line_id)
        if files:
            photo_service.store_photos(line, files)
    requested_lines = [
        {
            "sku": e.order_line.sku,
            "name": e.order_line.name,
            "quantity": e.quantity,
            "reason": e.reason,
        }
        for e in estimate.lines
    ]
    events.record(
        return_request,
        ReturnEvent.Type.REQUESTED,
        actor=actor,
        reason=note[:255],
        data={
            "via": via,
            "requires_review": estimate.requires_review,
            "lines": requested_lines,
            # Approved at once: the approval's email (with the label) is the one to send.
            "notify_customer": estimate.requires_review,
        },
        notify="return.requested",
    )
    if return_request.is_withdrawal:
        rule = statutory.statutory_rule(locked)
        events.record(
            return_request,
            ReturnEvent.Type.WITHDRAWAL_ACKNOWLEDGED,
            actor=actor,
            # The acknowledgement states when the withdrawal reached us, to the second, where
            # the customer is, and what was withdrawn (Directive 2011/83/EU art. 11(3)).
            data={
                "received_at": return_request.created_at.isoformat(),
                "time_zone": zones.customer_time_zone(locked),
                "right": rule.code if rule else "",
                "lines": requested_lines,
            },
            notify="return.withdrawal_acknowledged",
        )
    logger.info(
        "returns.requested",
        extra={"rma": return_request.rma, "order": locked.number, "via": via},
    )
    if not estimate.requires_review:
        return_request = transitions.approve_return(
            return_request=return_request,
            actor=transitions.POLICY_ACTOR,
            reason="the policy approves it without review",
        )
    return return_request


def _create(
    *,
    order: Order,
    lines: list[RequestedLine],
    estimate: Estimate,
    active_policy,
    actor: Actor,
    via: str,
    is_instant_exchange: bool,
    note: str,
    reference: str,
) -> tuple[ReturnRequest, list[ReturnLine]]:
    """Write the return and its lines with the estimate's figures (fixed from now on)."""
    return_request = ReturnRequest(
        rma=numbers.next_rma(order),
        order=order,
        customer_id=order.customer_id,
        resolution=estimate.resolution,
        requested_via=via,
        is_withdrawal=estimate.is_withdrawal,
        is_instant_exchange=is_instant_exchange,
        is_keep_it=estimate.is_keep_it,
        policy=active_policy if active_policy.pk else None,
        refund_release=estimate.refund_release,
        warehouse=estimate.warehouse,
        currency=estimate.currency,
        items_amount=estimate.items_amount,
        restocking_fee=estimate.restocking_fee,
        return_shipping_fee=estimate.return_shipping_fee,
        shipping_refund=estimate.shipping_refund,
        bonus_amount=estimate.bonus_amount,
        estimated_total=estimate.total,
        customer_note=note,
        idempotency_reference=reference,
        **actor.as_fields(),
    )
    try:
        with transaction.atomic():
            return_request.save()
    except IntegrityError:
        if not reference:
            raise
        # Another order's request took this reference between our check and our insert.
        raise Conflict(
            _("This request reference was already used for another order."),
            code="idempotency_reference_reused",
        ) from None
    comments = {line.order_line_id: line.comment for line in lines}
    created_lines = ReturnLine.objects.bulk_create(
        [
            ReturnLine(
                return_request=return_request,
                order_line=line.order_line,
                quantity=line.quantity,
                reason=line.reason,
                comment=comments.get(line.order_line.pk, ""),
                unit_amount=line.unit_amount,
                restocking_fee=line.restocking_fee,
                exchange_variant=line.exchange_variant,
            )
            for line in estimate.lines
        ]
    )
    for line in created_lines:
        line.return_request = return_request
    return return_request, created_lines
