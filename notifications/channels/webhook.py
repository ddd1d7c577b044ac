"""Webhooks: one signed HTTP POST per delivery, following Standard Webhooks
(https://github.com/standard-webhooks/standard-webhooks/blob/main/spec/standard-webhooks.md).

The webhook-id is the outbox message's id, the same on every retry and for every endpoint, so a
receiver deduplicates by it. Every request is logged as a WebhookAttempt. Redirects are not
followed: a 3xx is a failure, like any other non-2xx answer.
"""

import http.client
import json
import logging
import socket
import ssl
import time
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.utils import timezone

from notifications.channels import SendResult
from notifications.models import Delivery, WebhookAttempt, WebhookEndpoint
from notifications.services import webhooks as webhook_services
from notifications.services.dispatch import MAX_ATTEMPTS
from notifications.webhooks import (
    Target,
    TargetRefused,
    TargetUnresolvable,
    check_target,
    signature_header,
    signing_secrets,
)

logger = logging.getLogger(__name__)

USER_AGENT = "OMS-Webhooks/1.0"
EXCERPT_LENGTH = 500
READ_LIMIT = 4096  # enough for the excerpt; a receiver cannot make us download a large body


@dataclass(frozen=True)
class Answer:
    status_code: int | None
    latency_ms: int
    excerpt: str = ""
    error: str = ""
    location: str = ""


def payload_for(delivery: Delivery) -> str:
    """The body: Standard Webhooks' {type, timestamp, data}, compact, the same on every retry."""
    message = delivery.message
    return json.dumps(
        {
            "type": message.event_type,
            "timestamp": message.created_at.isoformat(),
            "data": message.payload,
        },
        cls=DjangoJSONEncoder,
        separators=(",", ":"),
        ensure_ascii=False,
    )


def _connect_to_checked_addresses(target: Target, timeout: float):
    """A replacement for socket.create_connection that only dials the addresses check_target
    approved, in order, instead of resolving the host name again."""

    def create_connection(_address, _timeout=None, _source_address=None):
        error: OSError | None = None
        for address in target.addresses:
            try:
                return socket.create_connection((address, target.port), timeout)
            except OSError as exc:
                error = exc
        raise error or OSError("no address to connect to")

    return create_connection


def post(target: Target, body: bytes, headers: dict[str, str], timeout: float) -> Answer:
    """POST the body to the checked target. The connection keeps the real host name (Host
    header, TLS server name and certificate check) but dials the checked IP addresses."""
    if target.scheme == "https":
        connection: http.client.HTTPConnection = http.client.HTTPSConnection(
            target.host, target.port, timeout=timeout, context=ssl.create_default_context()
        )
    else:
        connection = http.client.HTTPConnection(target.host, target.port, timeout=timeout)
    # http.client's own hook for opening the socket (CPython has used it since 3.x).
    connection._create_connection = _connect_to_checked_addresses(target, timeout)
    started = time.monotonic()
    try:
        connection.request("POST", target.path, body=body, headers=headers)
        response = connection.getresponse()
        raw = response.read(READ_LIMIT)
        latency_ms = int((time.monotonic() - started) * 1000)
        return Answer(
            status_code=response.status,
            latency_ms=latency_ms,
            excerpt=raw.decode("utf-8", errors="replace")[:EXCERPT_LENGTH],
            location=response.getheader("Location", "") or "",
        )
    except (OSError, http.client.HTTPException) as exc:  # timeouts, refusals, TLS, bad answers
        latency_ms = int((time.monotonic() - started) * 1000)
        return Answer(None, latency_ms, error=f"{type(exc).__name__}: {exc}"[:EXCERPT_LENGTH])
    finally:
        connection.close()


class WebhookChannel:
    def send(self, delivery: Delivery) -> SendResult:
        endpoint = delivery.endpoint
        if endpoint is None or not endpoint.is_active:
            return SendResult(False, is_permanent=True, error="endpoint disabled")
        is_manual_replay = webhook_services.manual_replay.get()
        now = timezone.now()
        try:
            target = check_target(endpoint.url)
        except TargetRefused as exc:
            # DNS may have changed since the endpoint was saved: never call a private address.
            answer = Answer(None, 0, error=f"target refused: {exc}")
            return self._fail(delivery, endpoint, answer, now, is_manual_replay, is_permanent=True)
        except TargetUnresolvable as exc:
            answer = Answer(None, 0, error=str(exc))
            return self._fail(delivery, endpoint, answer, now, is_manual_replay, is_permanent=False)
        msg_id = str(delivery.message_id)
        timestamp = int(time.time())
        body = payload_for(delivery)
        headers = {
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            "webhook-id": msg_id,
            "webhook-timestamp": str(timestamp),
            "webhook-signature": signature_header(
                signing_secrets(endpoint, now), msg_id, timestamp, body
            ),
        }
        answer = post(target, body.encode(), headers, settings.OMS_WEBHOOK_TIMEOUT_SECONDS)
        if answer.status_code is not None and 200 <= answer.status_code < 300:
            self._log(delivery, endpoint, answer, is_manual_replay)
            webhook_services.record_success(endpoint=endpoint)
            return SendResult(True, detail=f"HTTP {answer.status_code}")
        if answer.status_code is not None and 300 <= answer.status_code < 400:
            answer = Answer(
                answer.status_code,
                answer.latency_ms,
                answer.excerpt,
                error=f"redirect to {answer.location or '?'} not followed"[:EXCERPT_LENGTH],
            )
        is_gone = answer.status_code == 410  # the receiver says: stop sending, for good
        return self._fail(delivery, endpoint, answer, now, is_manual_replay, is_permanent=is_gone)

    def _fail(
        self,
        delivery: Delivery,
        endpoint: WebhookEndpoint,
        answer: Answer,
        now: datetime,
        is_manual_replay: bool,
        *,
        is_permanent: bool,
    ) -> SendResult:
        self._log(delivery, endpoint, answer, is_manual_replay)
        error = answer.error or f"HTTP {answer.status_code}"
        # The dispatcher gives up after MAX_ATTEMPTS; a person's replay of a delivery that had
        # already given up is one more try, not a reason to disable the endpoint.
        is_delivery_dead = is_permanent or (
            delivery.attempts >= MAX_ATTEMPTS and not is_manual_replay
        )
        webhook_services.record_failure(
            endpoint=endpoint,
            now=now,
            status_code=answer.status_code,
            error=error,
            is_delivery_dead=is_delivery_dead,
        )
        return SendResult(False, is_permanent=is_permanent, error=error)

    @staticmethod
    def _log(
        delivery: Delivery, endpoint: WebhookEndpoint, answer: Answer, is_manual_replay: bool
    ) -> None:
        WebhookAttempt.objects.create(
            delivery=delivery,
            endpoint=endpoint,
            status_code=answer.status_code,
            latency_ms=answer.latency_ms,
            error=answer.error[:500],
            response_excerpt=answer.excerpt[:EXCERPT_LENGTH],
            is_manual_replay=is_manual_replay,
        )
