"""Idempotency-Key for POSTs that create orders or move money.

Same key + same body → the first response again; same key + another body → 422; a retry while the
first request still runs → 409. Keys live at least IDEMPOTENCY_KEY_TTL (24 h).
Follows the IETF draft "The Idempotency-Key HTTP Header Field"
(https://datatracker.ietf.org/doc/draft-ietf-httpapi-idempotency-key-header/).
"""

import functools
import hashlib
import json
from collections.abc import Callable

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, transaction
from django.utils import timezone
from rest_framework.response import Response

from oms.exceptions import Conflict, DomainError, ValidationFailed
from oms.models import ApiClient, IdempotencyRecord

HEADER = "Idempotency-Key"
# Outcomes worth replaying. Input errors (400, 404, 422) are not stored: the client fixes the
# input and retries with the same key, and nothing was changed. Unexpected errors (500) release
# the key for a clean retry.
STORED_STATUSES = set(range(200, 300)) | {402, 409, 503}


class IdempotencyKeyReused(DomainError):
    status = 422
    default_code = "idempotency_key_reused"
    title = "This Idempotency-Key was used with a different request"


class RequestInProgress(Conflict):
    default_code = "idempotency_request_in_progress"
    title = "A request with this Idempotency-Key is still being processed"


def fingerprint(method: str, path: str, body: object) -> str:
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), cls=DjangoJSONEncoder)
    return hashlib.sha256(f"{method} {path}\n{canonical}".encode()).hexdigest()


def claim(
    *, client: ApiClient, key: str, method: str, path: str, print_: str
) -> tuple[IdempotencyRecord, bool]:
    """Claim the key for this request. Returns (record, is_replay)."""
    now = timezone.now()
    lock_until = now + settings.IDEMPOTENCY_LOCK_TIMEOUT
    fields = {
        "method": method,
        "path": path,
        "request_fingerprint": print_,
        "state": IdempotencyRecord.State.IN_PROGRESS,
        "response_status": None,
        "response_body": None,
        "created_at": now,
        "locked_until": lock_until,
    }
    for _attempt in range(3):
        try:
            with transaction.atomic():
                return IdempotencyRecord.objects.create(client=client, key=key, **fields), False
        except IntegrityError:
            pass
        with transaction.atomic():
            record = (
                IdempotencyRecord.objects.select_for_update().filter(client=client, key=key).first()
            )
            if record is None:
                # The holder freed the key between our insert and this lock (its outcome is
                # not stored, or the key was purged): claim it afresh.
                continue
            if record.created_at < now - settings.IDEMPOTENCY_KEY_TTL:
                for name, value in fields.items():
                    setattr(record, name, value)
                record.save()
                return record, False
            if record.request_fingerprint != print_:
                raise IdempotencyKeyReused(
                    "The same Idempotency-Key was sent with another method, path or body. "
                    "Use a new key for a new request."
                )
            if record.state == IdempotencyRecord.State.COMPLETED:
                return record, True
            if record.locked_until > now:
                raise RequestInProgress("Retry after the first request has finished.")
            record.locked_until = lock_until  # the first request died: this retry takes over
            record.save(update_fields=["locked_until"])
            return record, False
    raise RequestInProgress("Retry after the first request has finished.")


def complete(record: IdempotencyRecord, response: Response) -> None:
    if response.status_code not in STORED_STATUSES:
        IdempotencyRecord.objects.filter(pk=record.pk).delete()
        return
    body = json.loads(json.dumps(response.data, cls=DjangoJSONEncoder))
    IdempotencyRecord.objects.filter(pk=record.pk).update(
        state=IdempotencyRecord.State.COMPLETED,
        response_status=response.status_code,
        response_body=body,
    )


def idempotent(view_method: Callable) -> Callable:
    """Decorate a DRF view's `post` so it honours the Idempotency-Key header (required)."""

    @functools.wraps(view_method)
    def wrapper(view, request, *args, **kwargs):
        key = request.headers.get(HEADER, "").strip()
        if not key or len(key) > 255:
            raise ValidationFailed(
                f"Send a unique {HEADER} header (1-255 characters) with this request.",
                code="idempotency_key_required",
            )
        print_ = fingerprint(request.method, request.path, request.data)
        record, is_replay = claim(
            client=request.auth, key=key, method=request.method, path=request.path, print_=print_
        )
        if is_replay:
            replay = Response(record.response_body, status=record.response_status)
            if record.response_status >= 400:
                replay.content_type = "application/problem+json"
            replay["Idempotent-Replayed"] = "true"
            return replay
        try:
            response = view_method(view, request, *args, **kwargs)
        except DomainError as exc:
            response = view.handle_exception(exc)
        except Exception:
            # Unexpected: free the key so the client's retry runs the request again.
            IdempotencyRecord.objects.filter(pk=record.pk).delete()
            raise
        complete(record, response)
        return response

    return wrapper
