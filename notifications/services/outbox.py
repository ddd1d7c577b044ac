"""Writing outbox messages, and kicking the dispatcher once the transaction commits."""

import json
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction

from notifications.models import OutboxMessage


def emit(
    event_type: str,
    *,
    aggregate_type: str,
    aggregate_id: str | int,
    payload: dict[str, Any],
    version: int = 1,
) -> OutboxMessage:
    """Record a domain event in the outbox. Must run inside the transaction of the change: the
    message exists exactly when the change does, and the dispatcher is kicked after commit."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("emit() must run inside the transaction that makes the change")
    message = OutboxMessage.objects.create(
        event_type=event_type,
        payload_version=version,
        aggregate_type=aggregate_type,
        aggregate_id=str(aggregate_id),
        payload=json.loads(json.dumps(payload, cls=DjangoJSONEncoder)),
    )
    from notifications.services.dispatch import kick

    transaction.on_commit(lambda: kick(message.pk))
    return message
