"""Writes on the outbox. Domain services call `emit` inside their transaction; delivery is the
dispatcher's job, never the caller's."""

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
    """Record a domain event in the outbox. Must run inside the transaction of the change."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("emit() must run inside the transaction that makes the change")
    return OutboxMessage.objects.create(
        event_type=event_type,
        payload_version=version,
        aggregate_type=aggregate_type,
        aggregate_id=str(aggregate_id),
        payload=json.loads(json.dumps(payload, cls=DjangoJSONEncoder)),
    )
