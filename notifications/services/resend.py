"""Sending a customer message again at a rep's request ("I never got the email"): a copy of the
original message goes to the customer's current address by email only. Integrators already
heard of the event, and live pages already showed it, so no webhook or live update repeats."""

import copy

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from notifications.catalogue import spec_for
from notifications.models import Delivery, OutboxMessage
from notifications.services import dispatch
from oms.actors import Actor
from oms.exceptions import NotFound, ValidationFailed


def resendable_event(event_type: str) -> bool:
    """Messages the customer receives by email (the catalogue has a template for them), except
    those carrying a secret for the customer's inbox alone (the portal's access code)."""
    spec = spec_for(event_type)
    return spec.email and spec.resendable


@transaction.atomic
def resend_message(
    *, message_id, to: str, actor: Actor, aggregate_type: str, aggregate_id: str
) -> Delivery:
    """Email a copy of outbox message `message_id`, which must be about the given aggregate
    (the caller's scope: a rep resends a message of the order they are looking at), to `to`.

    The copy is a new outbox message, already fanned out to exactly one email delivery, so the
    dispatcher sends it like any other (with retries, and its own Message-ID) and the sweep
    finds it if the kick is lost. A resend is the customer's own request, so it goes out even
    if they opted out of non-essential messages."""
    original = OutboxMessage.objects.filter(
        pk=message_id, aggregate_type=aggregate_type, aggregate_id=str(aggregate_id)
    ).first()
    if original is None:
        raise NotFound(_("This message was not sent about this order."), code="message_not_found")
    to = (to or "").strip().lower()
    errors = []
    if not resendable_event(original.event_type):
        errors.append(
            {
                "field": "message",
                "code": "not_resendable",
                "message": _("This message is not sent to customers by email."),
            }
        )
    if "@" not in to:
        errors.append(
            {"field": "email", "code": "invalid", "message": _("Enter a valid email address.")}
        )
    if errors:
        raise ValidationFailed(errors[0]["message"], code="message_not_resendable", errors=errors)
    payload = copy.deepcopy(original.payload)
    if isinstance(payload.get("order"), dict):
        payload["order"]["email"] = to  # greetings and the preference link follow the address
    payload["resend"] = {"of": str(original.pk), "by": actor.label}
    now = timezone.now()
    message = OutboxMessage.objects.create(
        event_type=original.event_type,
        payload_version=original.payload_version,
        aggregate_type=original.aggregate_type,
        aggregate_id=original.aggregate_id,
        payload=payload,
        dispatched_at=now,  # fanned out here, to the one delivery below
    )
    delivery = Delivery.objects.create(
        message=message,
        channel=Delivery.Channel.EMAIL,
        target=to,
        event_type=message.event_type,
        aggregate_type=message.aggregate_type,
        aggregate_id=message.aggregate_id,
        next_attempt_at=now,
    )
    # The dispatcher's own queueing (it survives a broker outage: the sweep sends it later).
    transaction.on_commit(lambda: dispatch.enqueue("deliver_delivery", delivery.pk))
    return delivery
