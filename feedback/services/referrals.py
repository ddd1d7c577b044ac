"""Referrals: every customer has a code (made on demand, from an alphabet without look-alike
characters); a new customer who orders with it is recorded once; when that customer's FIRST
order is delivered, both get store credit (ReferralReward per currency) through the ledger's
idempotent issue_credit, and each is told by a `referral.rewarded` email.

Refused: a referral of oneself (same customer, the same mailbox written differently, the same
shipping address), of a customer who had ordered before, a second one for the same customer.
A referral whose first order is cancelled or comes back whole is void."""

import logging
import re
import secrets
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count, IntegerField, OuterRef, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from feedback.models import Referral, ReferralCode, ReferralReward
from notifications import services as outbox
from notifications.models import OutboxMessage
from oms.actors import Actor
from oms.exceptions import Conflict, DomainError, NotFound
from orders.models import Address, Customer, Order, OrderEvent
from orders.services.events import order_payload
from returns.models import StoreCreditEntry
from returns.selectors import balance
from returns.services.store_credit import issue_credit

logger = logging.getLogger(__name__)

# No 0/O, 1/I/L: a code read aloud or typed from a phone screen cannot be mistaken.
ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 8
# The emails that carry the recipient's own referral link in their footer.
LINK_EVENTS = frozenset({"shipment.delivered", "feedback.review_requested", "referral.rewarded"})


class ReferralRefused(DomainError):
    status = 422
    default_code = "referral_refused"
    title = "The referral cannot be recorded"


# Codes ---------------------------------------------------------------------------------------


def normalize_code(code: str) -> str:
    """What the customer typed, as stored: upper case, without spaces or dashes."""
    return re.sub(r"[\s-]+", "", code or "").upper()[:16]


def _new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def code_for(customer: Customer | int) -> ReferralCode:
    """The customer's code, made the first time it is asked for (a race makes it once)."""
    customer_id = customer if isinstance(customer, int) else customer.pk
    existing = ReferralCode.objects.filter(customer_id=customer_id).first()
    if existing is not None:
        return existing
    for _attempt in range(5):
        try:
            with transaction.atomic():
                return ReferralCode.objects.create(customer_id=customer_id, code=_new_code())
        except IntegrityError:
            existing = ReferralCode.objects.filter(customer_id=customer_id).first()
            if existing is not None:  # another request made it a moment ago
                return existing
            # else: the random code was taken by someone else; draw again
    raise RuntimeError("Could not draw a free referral code")


def referral_url(code: ReferralCode | str) -> str:
    value = code if isinstance(code, str) else code.code
    path = reverse("referral-landing", kwargs={"code": value})
    return settings.OMS_PUBLIC_URL.rstrip("/") + path


def storefront_url(code: str) -> str:
    """Where the landing page sends the friend: the storefront, with ?ref=<code>."""
    base = (getattr(settings, "OMS_STOREFRONT_URL", "") or "").strip()
    if not base:
        return ""
    separator = "&" if "?" in base else "?"
    return f"{base}{separator}ref={code}"


# Same person? -------------------------------------------------------------------------------


def mailbox(email: str) -> str:
    """The mailbox an address reaches: case, dots and +tags in the local part ignored
    (ana.souza+shop@example.com and AnaSouza@example.com are one person)."""
    local, _at, domain = (email or "").strip().lower().partition("@")
    local = local.split("+", 1)[0].replace(".", "")
    return f"{local}@{domain}"


def address_key(address: dict | None) -> tuple[str, str, str] | None:
    """A shipping address reduced to what identifies the door: first line, postal code and
    country, without case, spaces or punctuation."""
    if not address:
        return None

    def squeeze(value: Any) -> str:
        return re.sub(r"[^0-9a-z]", "", str(value or "").lower())

    key = (squeeze(address.get("line1")), squeeze(address.get("postal_code")))
    if not all(key):
        return None
    return (*key, squeeze(address.get("country")))


def _addresses_of(customer_id: int) -> set[tuple[str, str, str]]:
    shipped_to = Order.objects.filter(customer_id=customer_id).values_list(
        "shipping_address", flat=True
    )
    saved = Address.objects.filter(customer_id=customer_id).values(
        "line1", "postal_code", "country"
    )
    keys = {address_key(a) for a in shipped_to} | {address_key(a) for a in saved}
    keys.discard(None)
    return keys


def _self_referral(referrer: Customer, referred: Customer, order: Order | None) -> str:
    if referrer.pk == referred.pk:
        return "same_customer"
    if mailbox(referrer.email) == mailbox(referred.email) or (
        order is not None and mailbox(referrer.email) == mailbox(order.email)
    ):
        return "same_email"
    theirs = _addresses_of(referrer.pk)
    ours = (
        {address_key(order.shipping_address)} - {None}
        if order is not None
        else _addresses_of(referred.pk)
    )
    if theirs & ours:
        return "same_address"
    return ""


# Recording ----------------------------------------------------------------------------------


@transaction.atomic
def record_referral(
    *,
    code: str,
    actor: Actor,
    order: Order | None = None,
    customer: Customer | None = None,
) -> Referral:
    """Record that `order`'s customer (or `customer`, before their first order) came with
    `code`. The order must be their first; with a customer alone, they must not have ordered.
    Asking again for the same pair returns the referral already recorded."""
    if (order is None) == (customer is None):
        raise ValueError("Give an order or a customer")
    referral_code = (
        ReferralCode.objects.select_related("customer").filter(code=normalize_code(code)).first()
    )
    if referral_code is None:
        raise NotFound(_("This referral code does not exist."), code="referral_code_not_found")
    referred_id = order.customer_id if order is not None else customer.pk
    # One decision at a time per new customer: a concurrent second call waits here.
    referred = Customer.objects.select_for_update().get(pk=referred_id)
    existing = Referral.objects.filter(referred_id=referred.pk).first()
    if existing is not None:
        if existing.code_id == referral_code.pk:
            return existing
        raise Conflict(
            _("This customer was already referred by someone else."), code="already_referred"
        )
    reason = _self_referral(referral_code.customer, referred, order)
    if reason:
        raise ReferralRefused(
            _("Customers cannot refer themselves."),
            code="self_referral",
            errors=[{"field": "code", "code": reason, "message": _("This is your own code.")}],
        )
    earlier = Order.objects.filter(customer_id=referred.pk)
    if order is not None:
        order.refresh_from_db(fields=["status", "created_at", "customer"])
        if order.status == Order.Status.CANCELLED:
            raise ReferralRefused(_("This order was cancelled."), code="order_cancelled")
        earlier = earlier.exclude(pk=order.pk).filter(created_at__lte=order.created_at)
    if earlier.exists():
        raise ReferralRefused(
            _("Referrals are for new customers: this customer has ordered before."),
            code="not_a_new_customer",
        )
    referral = Referral.objects.create(
        referrer_id=referral_code.customer_id,
        referred=referred,
        code=referral_code,
        first_order=order,
    )
    if order is not None:
        OrderEvent.objects.create(
            order=order,
            type=OrderEvent.Type.FEEDBACK,
            reason="referral recorded",
            data={"referral_id": referral.pk, "code": referral_code.code},
            **actor.as_fields(),
        )
    logger.info(
        "feedback.referral_recorded",
        extra={"referral_id": referral.pk, "order_id": order.pk if order else None},
    )
    return referral


# Rewarding ----------------------------------------------------------------------------------


def first_order_of(customer_id: int) -> Order | None:
    return Order.objects.filter(customer_id=customer_id).order_by("created_at", "pk").first()


def _fully_returned(order: Order) -> bool:
    totals = order.lines.aggregate(
        ordered=Sum("quantity"),
        cancelled=Sum("quantity_cancelled"),
        returned=Sum("quantity_returned"),
    )
    kept = (totals["ordered"] or 0) - (totals["cancelled"] or 0)
    return (totals["returned"] or 0) > 0 and totals["returned"] >= kept


def reward_referrals(*, actor: Actor | None = None, limit: int = 500) -> dict[str, int]:
    """Settle pending referrals: reward those whose friend's first order was delivered, void
    those whose first order was cancelled or came back whole. Safe to run twice or at once:
    each referral is decided under its row lock and credits are idempotent."""
    actor = actor or Actor.system("referrals")
    counts = {"rewarded": 0, "void": 0, "waiting": 0}
    pending = list(
        Referral.objects.filter(status=Referral.Status.PENDING)
        .order_by("pk")
        .values_list("pk", flat=True)[:limit]
    )
    for referral_id in pending:
        counts[settle_referral(referral_id, actor=actor)] += 1
    if pending:
        logger.info("feedback.referrals_settled", extra=counts)
    return counts


@transaction.atomic
def settle_referral(referral_id: int, *, actor: Actor) -> str:
    """Decide one referral: "rewarded", "void" or "waiting" (also when another run did it)."""
    referral = (
        Referral.objects.select_for_update(of=("self",))
        .select_related("referrer", "referred", "code")
        .filter(pk=referral_id, status=Referral.Status.PENDING)
        .first()
    )
    if referral is None:
        return "waiting"
    order = first_order_of(referral.referred_id)
    if order is None:
        return "waiting"
    if referral.first_order_id != order.pk:
        referral.first_order = order
        referral.save(update_fields=["first_order"])
    if order.status == Order.Status.CANCELLED:
        return _void(referral, "first_order_cancelled")
    if _fully_returned(order):
        return _void(referral, "first_order_returned")
    if order.status != Order.Status.DELIVERED:
        return "waiting"
    rule = ReferralReward.objects.filter(currency=order.currency, is_active=True).first()
    if rule is None:
        return "waiting"  # no programme in this currency (yet): decided when there is one
    referral.status = Referral.Status.REWARDED
    referral.rewarded_at = timezone.now()
    referral.save(update_fields=["status", "rewarded_at"])
    parties = [
        ("friend", referral.referred, rule.friend_amount, order),
        (
            "referrer",
            referral.referrer,
            rule.referrer_amount,
            latest_order_of(referral.referrer_id),
        ),
    ]
    for party, customer, amount, contact_order in parties:
        if amount <= 0:
            continue
        entry = issue_credit(
            customer=customer,
            amount=amount,
            currency=order.currency,
            kind=StoreCreditEntry.Kind.REFERRAL,
            reference=f"referral:{referral.pk}:{party}",
            reason="referral",
            actor=actor,
        )
        if contact_order is not None:
            _emit_rewarded(referral, party, entry, contact_order, actor)
    OrderEvent.objects.create(
        order=order,
        type=OrderEvent.Type.FEEDBACK,
        reason="referral rewarded",
        data={
            "referral_id": referral.pk,
            "currency": order.currency,
            "referrer_amount": str(rule.referrer_amount),
            "friend_amount": str(rule.friend_amount),
        },
        **actor.as_fields(),
    )
    logger.info("feedback.referral_rewarded", extra={"referral_id": referral.pk})
    return "rewarded"


def latest_order_of(customer_id: int) -> Order | None:
    """The order whose contact details (email, phone, language) speak for the referrer."""
    return Order.objects.filter(customer_id=customer_id).order_by("-created_at", "-pk").first()


def _void(referral: Referral, reason: str) -> str:
    referral.status = Referral.Status.VOID
    referral.void_reason = reason
    referral.save(update_fields=["status", "void_reason"])
    logger.info("feedback.referral_void", extra={"referral_id": referral.pk, "reason": reason})
    return "void"


def _first_name(customer: Customer) -> str:
    return (customer.name or "").split(" ", 1)[0]


def _emit_rewarded(
    referral: Referral, party: str, entry: StoreCreditEntry, contact_order: Order, actor: Actor
) -> None:
    other = referral.referred if party == "referrer" else referral.referrer
    outbox.emit(
        "referral.rewarded",
        aggregate_type="referral",
        aggregate_id=referral.pk,
        payload={
            "order": order_payload(contact_order),
            "event": {
                "type": "referral.rewarded",
                "actor": actor.label,
                "referral_id": referral.pk,
                "party": party,
                "other_name": _first_name(other),
                "entry_id": entry.pk,
                "amount": Decimal(entry.amount),
                "credit_currency": entry.currency,
                "balance": balance(entry.customer_id, entry.currency),
            },
        },
    )


# Emails -------------------------------------------------------------------------------------


def email_context(message: OutboxMessage) -> dict[str, Any]:
    """The recipient's own referral link for the footer of the delivered, review-request and
    reward emails (made at rendering: the payload carries no link)."""
    if message.event_type not in LINK_EVENTS:
        return {}
    number = (message.payload.get("order") or {}).get("number")
    if not number:
        return {}
    customer_id = Order.objects.filter(number=number).values_list("customer_id", flat=True).first()
    if customer_id is None:
        return {}
    return {"referral_url": referral_url(code_for(customer_id))}


# Reading ------------------------------------------------------------------------------------


def summary_for(customer_id: int) -> dict[str, Any]:
    """The customer's code and link and how their referrals stand (customer 360, API)."""
    code = code_for(customer_id)
    counts = dict.fromkeys(Referral.Status.values, 0)
    for row in (
        Referral.objects.filter(referrer_id=customer_id)
        .values("status")
        .annotate(n=Count("pk"))
        .order_by()
    ):
        counts[row["status"]] = row["n"]
    referred_by = (
        Referral.objects.filter(referred_id=customer_id)
        .values("status", "referrer__name", "code__code")
        .first()
    )
    return {
        "code": code.code,
        "url": referral_url(code),
        "referrals": counts,
        "referred_by": referred_by,
    }


def panel_summary(customer_id: int) -> dict[str, Any] | None:
    """The same as summary_for, read in ONE query and making nothing: the console's customer
    page shows the code if the customer has one (their emails make it)."""

    def count(status: str) -> Coalesce:
        rows = (
            Referral.objects.filter(referrer_id=OuterRef("pk"), status=status)
            .order_by()
            .values("referrer_id")
            .annotate(n=Count("pk"))
            .values("n")[:1]
        )
        return Coalesce(Subquery(rows, output_field=IntegerField()), Value(0))

    referred = Referral.objects.filter(referred_id=OuterRef("pk"))
    row = (
        Customer.objects.filter(pk=customer_id)
        .annotate(
            own_code=Subquery(
                ReferralCode.objects.filter(customer_id=OuterRef("pk")).values("code")[:1]
            ),
            referred_by_name=Subquery(referred.values("referrer__name")[:1]),
            referred_by_code=Subquery(referred.values("code__code")[:1]),
            referred_by_status=Subquery(referred.values("status")[:1]),
            **{status: count(status) for status in Referral.Status.values},
        )
        .values(
            "own_code",
            "referred_by_name",
            "referred_by_code",
            "referred_by_status",
            *Referral.Status.values,
        )
        .first()
    )
    if row is None:
        return None
    code = row["own_code"]
    return {
        "code": code or "",
        "url": referral_url(code) if code else "",
        "referrals": {status: row[status] for status in Referral.Status.values},
        "referred_by": {
            "status": row["referred_by_status"],
            "referrer__name": row["referred_by_name"],
            "code__code": row["referred_by_code"],
        }
        if row["referred_by_code"]
        else None,
    }
