"""Guest access to the returns portal: the lookup (order number + email or postal code), the
one-time code and the signed link sent to the order's email, and the rate limits on both.

What a guesser learns is nothing: a wrong email, a wrong postal code and an unknown order all
end the same way (no error, nothing sent), every comparison is constant-time, and the attempts
are counted in the database (PortalAttempt) per order number, per identity and per client IP,
so every web process shares one count. Only the code's keyed hash is stored; the code and the
link travel in the `return.access_code` outbox message, which goes by email alone.
"""

import re
import secrets
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.db.models import Count, F
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac

from notifications import services as outbox
from oms.exceptions import DomainError, ValidationFailed
from orders.models import Order
from orders.services import events as order_events
from returns.models import PortalAccessCode, PortalAttempt

ACCESS_EVENT = "return.access_code"
LINK_SALT = "oms.returns-portal.link"
CODE_SALT = "oms.returns-portal.code"
CODE_DIGITS = 6
MAX_CODE_FAILURES = 5  # wrong codes before every live code of the order dies
# Compared against when the order does not exist, so that path does the same work.
_NO_VALUE = "\x00" * 32


class TooManyAttempts(DomainError):
    """The lookup or the code was tried too often: the portal answers 429 and sends nothing."""

    status = 429
    default_code = "too_many_attempts"
    title = "Too many attempts"


def normalise_order_number(value: str) -> str:
    """What customers type: "#100042 ", " 100042" — the number alone."""
    return value.strip().lstrip("#").strip()[:20]


def normalise_email(value: str) -> str:
    return value.strip().lower()[:254]


def normalise_postal_code(value: str) -> str:
    """ "01305-000", "01305000" and "sw1a 1aa" compare equal to their stored forms."""
    return re.sub(r"[\s\-.]", "", value).upper()[:16]


# --- rate limits ---------------------------------------------------------------------------


def _window_start(now: datetime) -> datetime:
    return now - settings.OMS_PORTAL_ATTEMPT_WINDOW


def check_attempts(keys: dict[str, str], *, now: datetime | None = None) -> None:
    """Raise TooManyAttempts when any key (limit name -> key) has used up its attempts in the
    window (settings.OMS_PORTAL_MAX_ATTEMPTS names each limit); one query for all keys."""
    now = now or timezone.now()
    limits = settings.OMS_PORTAL_MAX_ATTEMPTS
    counts = dict(
        PortalAttempt.objects.filter(key__in=keys.values(), created_at__gte=_window_start(now))
        .values_list("key")
        .annotate(n=Count("id"))
        .values_list("key", "n")
    )
    for limit, key in keys.items():
        if counts.get(key, 0) >= limits[limit]:
            raise TooManyAttempts("Too many attempts; try again later.")


def record_attempts(keys: dict[str, str]) -> None:
    """Count one attempt on every key (committed at once, whatever happens next)."""
    PortalAttempt.objects.bulk_create([PortalAttempt(key=key) for key in keys.values()])


def _limited(keys: dict[str, str], now: datetime | None) -> None:
    # Refused attempts are not recorded: a flood costs a read, not a growing table.
    check_attempts(keys, now=now)
    record_attempts(keys)


def purge_expired_access(*, now: datetime | None = None) -> int:
    """Delete attempts older than the window and codes a day past their expiry; returns how
    many rows went. Run periodically (returns.tasks.purge_portal_access, every 15 minutes)."""
    now = now or timezone.now()
    attempts, _ = PortalAttempt.objects.filter(created_at__lt=_window_start(now)).delete()
    codes, _ = PortalAccessCode.objects.filter(expires_at__lt=now - timedelta(days=1)).delete()
    return attempts + codes


# --- the lookup ----------------------------------------------------------------------------


def lookup_keys(*, order_number: str, email: str, postal_code: str, ip: str) -> dict[str, str]:
    number = normalise_order_number(order_number)
    identity = (
        f"email:{normalise_email(email)}"
        if email.strip()
        else f"postal:{normalise_postal_code(postal_code)}"
    )
    return {"order": f"order:{number}", "identity": identity[:200], "ip": f"ip:{ip}"[:200]}


def _identity_matches(order: Order | None, *, email: str, postal_code: str) -> bool:
    """Constant-time comparison of what the customer typed with what the order holds; an
    unknown order is compared with a value nothing equals, so it takes the same path."""
    if email.strip():
        given = normalise_email(email)
        held = normalise_email(order.email) if order else ""
    else:
        given = normalise_postal_code(postal_code)
        postal = order.shipping_address.get("postal_code") if order else ""
        held = normalise_postal_code(str(postal or ""))
    # An order without a postal code is never opened by an empty one.
    matches = constant_time_compare(given, held or _NO_VALUE)
    return order is not None and bool(given) and matches


def request_access(*, order_number: str, email: str = "", postal_code: str = "", ip: str) -> None:
    """Send a one-time code and a signed link to the order's email if the order exists and the
    email or the shipping postal code is the order's; otherwise do nothing. Returns nothing
    either way: the caller must answer every case alike. Raises TooManyAttempts (nothing sent)
    beyond the limits per order number, per email or postal code, and per client IP."""
    keys = lookup_keys(order_number=order_number, email=email, postal_code=postal_code, ip=ip)
    _limited(keys, None)
    order = Order.objects.filter(number=normalise_order_number(order_number)).first()
    if _identity_matches(order, email=email, postal_code=postal_code):
        issue_access(order=order)


def _code_hash(order_id: int, code: str) -> str:
    # Keyed with SECRET_KEY and the order: a leaked table cannot be reversed by a lookup table
    # of the million possible codes.
    return salted_hmac(CODE_SALT, f"{order_id}:{code}", algorithm="sha256").hexdigest()


def access_link(order_number: str, *, rma: str = "") -> str:
    """The absolute, signed and expiring link that opens the order's returns page (with `rma`:
    that return's page; the RMA needs no signature, the page checks it is the order's)."""
    token = signing.TimestampSigner(salt=LINK_SALT).sign(order_number)
    path = reverse("returns-access", kwargs={"token": token})
    query = f"?{urlencode({'r': rma})}" if rma else ""
    return settings.OMS_PUBLIC_URL.rstrip("/") + path + query


def email_context(message) -> dict[str, Any]:
    """For notifications.rendering.register_context_provider: return emails link straight to the
    return's page in the portal through a signed link, which the payload (also sent to
    webhooks and live streams) must not carry."""
    if not message.event_type.startswith("return.") or message.event_type == ACCESS_EVENT:
        return {}
    number = (message.payload.get("order") or {}).get("number")
    rma = (message.payload.get("return") or {}).get("rma")
    if not number or not rma:
        return {}
    return {"return_status_url": access_link(number, rma=rma)}


def order_number_from_link(token: str) -> str | None:
    """The order number a link was signed for, or None if forged, altered or expired."""
    try:
        return signing.TimestampSigner(salt=LINK_SALT).unsign(
            token, max_age=settings.OMS_PORTAL_LINK_VALID_FOR
        )
    except signing.BadSignature:
        return None


@transaction.atomic
def issue_access(*, order: Order) -> PortalAccessCode:
    """Create a one-time code for the order and email it with a signed link (outbox event
    `return.access_code`, email only)."""
    now = timezone.now()
    code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
    access = PortalAccessCode.objects.create(
        order=order,
        code_hash=_code_hash(order.pk, code),
        expires_at=now + settings.OMS_PORTAL_CODE_VALID_FOR,
    )
    payload: dict[str, Any] = {
        "order": order_events.order_payload(order),
        "access": {
            "code": code,
            "link": access_link(order.number),
            "code_expires_at": access.expires_at,
            "code_valid_minutes": int(settings.OMS_PORTAL_CODE_VALID_FOR.total_seconds() // 60),
            "link_expires_at": now + settings.OMS_PORTAL_LINK_VALID_FOR,
            "link_valid_days": max(1, settings.OMS_PORTAL_LINK_VALID_FOR.days),
        },
    }
    outbox.emit(ACCESS_EVENT, aggregate_type="order", aggregate_id=order.number, payload=payload)
    return access


# --- the code ------------------------------------------------------------------------------


def verify_code(*, order_number: str, code: str, ip: str) -> str:
    """Check a one-time code for the order; returns the order number when it is right (the code
    is then used up, with every other live code of the order). A wrong code counts against every
    live code of the order, which die after MAX_CODE_FAILURES. An unknown order, a wrong, used
    or expired code all raise the same ValidationFailed; too many tries raise TooManyAttempts."""
    number = normalise_order_number(order_number)
    _limited({"order": f"verify:{number}", "ip": f"ip:{ip}"}, None)
    # Outside the check's transaction: the failure count must stick although we raise.
    if not _use_code(number, re.sub(r"\s", "", code)):
        raise ValidationFailed(
            "The code is not valid or has expired.",
            code="invalid_code",
            errors=[
                {
                    "field": "code",
                    "code": "invalid_code",
                    "message": "The code is not valid or has expired.",
                }
            ],
        )
    return number


@transaction.atomic
def _use_code(number: str, code: str) -> bool:
    now = timezone.now()
    live = list(
        PortalAccessCode.objects.select_for_update()
        .filter(
            order__number=number,
            used_at__isnull=True,
            expires_at__gt=now,
            failed_attempts__lt=MAX_CODE_FAILURES,
        )
        .order_by("pk")
    )
    if not live:
        _code_hash(0, code)  # the same work as a real check
        return False
    given = _code_hash(live[0].order_id, code) if code.isdigit() else _NO_VALUE
    matched = [access for access in live if constant_time_compare(given, access.code_hash)]
    ids = [access.pk for access in live]
    if matched:
        PortalAccessCode.objects.filter(pk__in=ids).update(used_at=now)
        return True
    PortalAccessCode.objects.filter(pk__in=ids).update(failed_attempts=F("failed_attempts") + 1)
    return False
