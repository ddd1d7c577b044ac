"""Webhook endpoints and their lifecycle: create, change, rotate the secret, disable (by hand, on
410 Gone, or when it keeps failing), enable, delete, and replay a delivery by hand."""

import contextlib
import contextvars
import logging
import smtplib
from collections.abc import Iterator
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.mail import mail_admins
from django.core.validators import URLValidator
from django.db import transaction
from django.utils import timezone

from notifications.catalogue import EVENTS
from notifications.models import Delivery, WebhookEndpoint, new_webhook_secret
from notifications.services import dispatch
from notifications.webhooks import TargetRefused, TargetUnresolvable, check_target, parse_target
from oms.actors import Actor
from oms.exceptions import Conflict, ValidationFailed

logger = logging.getLogger(__name__)

# An endpoint failing without a single success for longer than this is disabled. It matches the
# retry schedule: by then its oldest delivery has used up every retry.
DISABLE_AFTER = timedelta(hours=72)
DEFAULT_ROTATION_OVERLAP = timedelta(hours=24)
MAX_ROTATION_OVERLAP = timedelta(days=7)
MAX_EVENT_TYPES = 50

# Set while a person replays a delivery, so the channel logs the attempt as a manual replay.
manual_replay: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "webhook_manual_replay", default=False
)


# --- Validation -------------------------------------------------------------------------------


def _invalid(field: str, code: str, message: str) -> ValidationFailed:
    return ValidationFailed(
        message, code=code, errors=[{"field": field, "code": code, "message": message}]
    )


def clean_url(url: str) -> str:
    """A well-formed http(s) URL without credentials whose host resolves to public addresses
    only (see webhooks.check_target). When private targets are allowed (development, tests)
    the host is not looked up: nothing needs proving, and it may not resolve yet."""
    url = url.strip()
    try:
        URLValidator(schemes=["http", "https"])(url)
    except DjangoValidationError as exc:
        raise _invalid("url", "invalid_url", "Enter a valid http or https URL.") from exc
    try:
        if settings.OMS_WEBHOOKS_ALLOW_PRIVATE_TARGETS:
            parse_target(url)
        else:
            check_target(url)
    except TargetRefused as exc:
        raise _invalid("url", "webhook_target_refused", str(exc)) from exc
    except TargetUnresolvable as exc:
        raise _invalid("url", "webhook_target_unresolvable", str(exc)) from exc
    return url


def clean_event_types(event_types: list[str]) -> list[str]:
    """Known event types ("order.cancelled") or prefixes of known ones ("order.*"); empty means
    every event. Duplicates are dropped, order kept."""
    if len(event_types) > MAX_EVENT_TYPES:
        raise _invalid(
            "event_types", "too_many_event_types", f"At most {MAX_EVENT_TYPES} event types."
        )
    errors = []
    for index, wanted in enumerate(event_types):
        if wanted.endswith(".*"):
            is_known = any(name.startswith(wanted[:-1]) for name in EVENTS)
        else:
            is_known = wanted in EVENTS
        if not is_known:
            errors.append(
                {
                    "field": f"event_types.{index}",
                    "code": "unknown_event_type",
                    "message": f"Unknown event type {wanted!r}; use a catalogue event name "
                    "or a prefix such as 'order.*'.",
                }
            )
    if errors:
        raise ValidationFailed(errors[0]["message"], code="unknown_event_type", errors=errors)
    return list(dict.fromkeys(event_types))


def _clean(url: str | None, event_types: list[str] | None) -> tuple[str | None, list[str] | None]:
    """Both checks, reporting every field's errors at once."""
    errors: list[ValidationFailed] = []
    cleaned_url, cleaned_types = url, event_types
    if url is not None:
        try:
            cleaned_url = clean_url(url)
        except ValidationFailed as exc:
            errors.append(exc)
    if event_types is not None:
        try:
            cleaned_types = clean_event_types(event_types)
        except ValidationFailed as exc:
            errors.append(exc)
    if len(errors) == 1:
        raise errors[0]
    if errors:
        raise ValidationFailed(
            errors[0].message,
            code=errors[0].code,
            errors=[error for failed in errors for error in failed.errors],
        )
    return cleaned_url, cleaned_types


def _lock(endpoint: WebhookEndpoint) -> WebhookEndpoint:
    return WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)


# --- Endpoints --------------------------------------------------------------------------------


def create_endpoint(
    *, owner, url: str, event_types: list[str] | None = None, description: str = ""
) -> WebhookEndpoint:
    """Register a URL to receive events. Its secret is generated here and returned on the
    endpoint; a private or loopback target is refused unless the setting allows it. The checks
    (a DNS lookup) run before any transaction opens."""
    url, event_types = _clean(url, event_types or [])
    return WebhookEndpoint.objects.create(
        owner=owner, url=url, event_types=event_types, description=description
    )


def update_endpoint(
    *,
    endpoint: WebhookEndpoint,
    url: str | None = None,
    event_types: list[str] | None = None,
    description: str | None = None,
) -> WebhookEndpoint:
    """Change what is given (None leaves a field as it is), with the same checks as creation.
    Deliveries already planned keep going to the endpoint."""
    url, event_types = _clean(url, event_types)
    with transaction.atomic():
        endpoint = _lock(endpoint)
        if url is not None:
            endpoint.url = url
        if event_types is not None:
            endpoint.event_types = event_types
        if description is not None:
            endpoint.description = description
        endpoint.save(update_fields=["url", "event_types", "description"])
    return endpoint


@transaction.atomic
def rotate_secret(
    *, endpoint: WebhookEndpoint, overlap: timedelta = DEFAULT_ROTATION_OVERLAP
) -> str:
    """Give the endpoint a new secret and return it. The old one keeps signing too (a second
    signature) for `overlap`, so the receiver can switch without rejecting a message. Rotating
    again within the overlap drops the oldest secret at once."""
    if not timedelta(0) <= overlap <= MAX_ROTATION_OVERLAP:
        raise _invalid(
            "overlap_hours", "invalid_overlap", "The overlap must be between 0 and 7 days."
        )
    endpoint = _lock(endpoint)
    if overlap:
        endpoint.previous_secret = endpoint.secret
        endpoint.previous_secret_expires_at = timezone.now() + overlap
    else:
        endpoint.previous_secret, endpoint.previous_secret_expires_at = "", None
    endpoint.secret = new_webhook_secret()
    endpoint.save(update_fields=["secret", "previous_secret", "previous_secret_expires_at"])
    logger.info("notifications.webhook_secret_rotated", extra={"endpoint_id": endpoint.pk})
    return endpoint.secret


@transaction.atomic
def delete_endpoint(*, endpoint: WebhookEndpoint) -> None:
    """Remove the endpoint with its deliveries and attempt log; nothing more is sent to it."""
    endpoint = _lock(endpoint)
    endpoint_id = endpoint.pk
    endpoint.delete()
    logger.info("notifications.webhook_endpoint_deleted", extra={"endpoint_id": endpoint_id})


@transaction.atomic
def disable_endpoint(
    *, endpoint: WebhookEndpoint, reason: str, notify: bool = False
) -> WebhookEndpoint:
    """Stop sending to the endpoint (new messages skip it; planned deliveries give up) and say
    why; with `notify`, tell the operators too. Disabling a disabled endpoint keeps its first
    reason and sends no second notice."""
    endpoint = _lock(endpoint)
    if not endpoint.is_active:
        return endpoint
    endpoint.is_active = False
    endpoint.disabled_reason = reason[:255]
    endpoint.disabled_at = timezone.now()
    endpoint.save(update_fields=["is_active", "disabled_reason", "disabled_at"])
    if notify:
        transaction.on_commit(lambda: notify_disabled(endpoint))
    logger.warning(
        "notifications.webhook_endpoint_disabled",
        extra={"endpoint_id": endpoint.pk, "url": endpoint.url, "reason": endpoint.disabled_reason},
    )
    return endpoint


@transaction.atomic
def enable_endpoint(*, endpoint: WebhookEndpoint) -> WebhookEndpoint:
    """Send to the endpoint again, from the next message on; its failure streak starts over."""
    endpoint = _lock(endpoint)
    endpoint.is_active = True
    endpoint.disabled_reason, endpoint.disabled_at, endpoint.failing_since = "", None, None
    endpoint.save(update_fields=["is_active", "disabled_reason", "disabled_at", "failing_since"])
    return endpoint


# --- What the channel reports -----------------------------------------------------------------


def record_success(*, endpoint: WebhookEndpoint) -> None:
    """A 2xx ends the endpoint's failure streak (one write, only when there was a streak)."""
    if endpoint.failing_since is not None:
        WebhookEndpoint.objects.filter(pk=endpoint.pk).update(failing_since=None)
        endpoint.failing_since = None


def record_failure(
    *,
    endpoint: WebhookEndpoint,
    now: datetime,
    status_code: int | None,
    error: str,
    is_delivery_dead: bool,
) -> None:
    """A failed request. The endpoint is disabled, with a notice, when it answered 410 Gone,
    when a delivery to it gave up (retries used up, or a refused target), or when it has been
    failing without a single success for longer than DISABLE_AFTER."""
    WebhookEndpoint.objects.filter(pk=endpoint.pk, failing_since__isnull=True).update(
        failing_since=now
    )
    failing_since = endpoint.failing_since or now
    endpoint.failing_since = failing_since
    if status_code == 410:
        reason = "The endpoint answered 410 Gone."
    elif is_delivery_dead:
        reason = f"A delivery gave up: {error}"
    elif now - failing_since > DISABLE_AFTER:
        reason = f"Every request failed since {failing_since:%Y-%m-%d %H:%M} UTC: {error}"
    else:
        return
    if endpoint.is_active:
        disable_endpoint(endpoint=endpoint, reason=reason, notify=True)


def notify_disabled(endpoint: WebhookEndpoint) -> None:
    """Tell the operators (settings.ADMINS) by email, outside the outbox: the outbox is what
    failed. API clients have no address of their own; they see is_active, disabled_reason and
    disabled_at on the endpoint, and the warning is logged."""
    try:
        mail_admins(
            f"Webhook endpoint {endpoint.pk} disabled",
            f"{endpoint.url}\nAPI client: {endpoint.owner_id or '-'}\n{endpoint.disabled_reason}\n"
            "Enable it again (API or admin) once it answers 2xx.",
            using="default",
        )
    except (smtplib.SMTPException, OSError) as exc:
        logger.warning(
            "notifications.webhook_disabled_notice_failed",
            extra={"endpoint_id": endpoint.pk, "error": str(exc)},
        )


# --- Manual replay ----------------------------------------------------------------------------


@contextlib.contextmanager
def _as_manual_replay() -> Iterator[None]:
    token = manual_replay.set(True)
    try:
        yield
    finally:
        manual_replay.reset(token)


def replay_delivery(*, delivery: Delivery, actor: Actor) -> Delivery:
    """Send a webhook delivery again now, whatever its status (sent, retrying or given up), with
    the same webhook-id so the receiver can deduplicate. A failed replay continues on the retry
    schedule, or gives up again if the delivery had used up its retries. Runs the request here,
    outside any transaction."""
    if delivery.channel != Delivery.Channel.WEBHOOK or delivery.endpoint_id is None:
        raise Conflict("Only webhook deliveries can be replayed.", code="not_a_webhook_delivery")
    if transaction.get_connection().in_atomic_block:
        raise RuntimeError("replay_delivery() sends an HTTP request: call it outside transactions")
    endpoint = WebhookEndpoint.objects.get(pk=delivery.endpoint_id)
    if not endpoint.is_active:
        raise Conflict(
            "The endpoint is disabled; enable it before replaying.",
            code="webhook_endpoint_disabled",
        )
    Delivery.objects.filter(pk=delivery.pk).update(
        status=Delivery.Status.RETRYING, next_attempt_at=timezone.now()
    )
    logger.info(
        "notifications.webhook_replayed",
        extra={"delivery_id": delivery.pk, "actor": actor.label, "actor_kind": actor.kind},
    )
    with _as_manual_replay():
        dispatch.deliver(delivery.pk, force=True)
    return Delivery.objects.select_related("endpoint").get(pk=delivery.pk)
