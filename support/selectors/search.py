"""The console's one search box: orders, customers and shipments from whatever a rep types.

Every lookup is an exact or prefix match on an indexed column (order number, external
reference, email, phone, tracking number, a customer's orders) with a LIMIT; only a name
fragment is a `contains` match, and it is bounded too. A query that is exactly an order number
or a tracking number puts that order first.
"""

from dataclasses import dataclass, field

from django.db.models import Q
from django.db.models.functions import Lower

from orders.models import Customer, Order, Shipment

MIN_LENGTH = 2
DROPDOWN_LIMIT = 6
PAGE_LIMIT = 25
# A phone number is typed with at least this many digits; fewer look like an order number.
MIN_PHONE_DIGITS = 6
# How many matching customers bring their latest orders into the orders group.
CUSTOMERS_WITH_ORDERS = 3


@dataclass
class SearchResults:
    query: str
    orders: list[Order] = field(default_factory=list)
    customers: list[Customer] = field(default_factory=list)
    shipments: list[Shipment] = field(default_factory=list)
    # The order whose number or tracking number is exactly the query, if any.
    exact_order: Order | None = None

    @property
    def is_empty(self) -> bool:
        return not (self.orders or self.customers or self.shipments)

    @property
    def count(self) -> int:
        return len(self.orders) + len(self.customers) + len(self.shipments)


def digits_of(text: str) -> str:
    return "".join(ch for ch in text if ch.isdigit())


def looks_like_phone(text: str) -> bool:
    """Mostly digits (spaces, dashes, dots, brackets and a leading + allowed), long enough."""
    digits = digits_of(text)
    rest = [ch for ch in text if not ch.isdigit() and ch not in " -().+/"]
    return len(digits) >= MIN_PHONE_DIGITS and not rest


def phone_candidates(digits: str) -> list[str]:
    """Stored forms a typed phone number may have: as typed, E.164 with +, and with the
    country code the store sells to most (US/Canada +1, Brazil +55) for national numbers."""
    candidates = [digits, f"+{digits}"]
    if len(digits) == 10:
        candidates += [f"+1{digits}", f"+55{digits}"]
    elif len(digits) == 11:
        candidates.append(f"+55{digits}")
    return candidates


def _prefix_range(prefix: str) -> tuple[str, str]:
    """[prefix, next) so a plain btree index serves a prefix match of a digits-only or
    upper-case alphanumeric string whatever the database collation (LIKE 'x%' only uses such an
    index under the C collation)."""
    return prefix, prefix[:-1] + chr(ord(prefix[-1]) + 1)


def _order_number_of(query: str) -> str:
    return query.lstrip("#").strip()


def search(query: str, *, limit: int = DROPDOWN_LIMIT) -> SearchResults:
    """Orders, customers and shipments matching `query`, at most `limit` of each, in a fixed
    number of queries (at most six)."""
    query = " ".join(query.split())[:100]
    results = SearchResults(query=query)
    if len(query) < MIN_LENGTH:
        return results
    lowered = query.lower()
    number = _order_number_of(query)
    is_email = "@" in query

    orders: dict[int, Order] = {}

    def add_orders(rows) -> None:
        for order in rows:
            if len(orders) >= limit:
                return
            orders.setdefault(order.pk, order)

    base_orders = Order.objects.select_related("customer").only(
        "id",
        "number",
        "status",
        "channel",
        "currency",
        "total",
        "created_at",
        "external_reference",
        "email",
        "needs_attention",
        "customer__id",
        "customer__name",
        "customer__email",
    )

    # 1. Exactly an order number or an external reference (two unique-ish indexes, one query).
    exact = list(
        base_orders.filter(Q(number=number) | Q(external_reference=query)).order_by("-id")[:limit]
    )
    exact.sort(key=lambda order: order.number != number)
    if exact and exact[0].number == number:
        results.exact_order = exact[0]

    # 2. Tracking numbers (exact, or a prefix when long enough to mean one): the shipment and
    # its order. Carriers print them upper-case; reps type them any way.
    if not is_email and " " not in query:
        tracking = query.upper()
        shipments = Shipment.objects.select_related("order__customer", "warehouse").only(
            "id",
            "number",
            "status",
            "carrier",
            "tracking_number",
            "estimated_delivery_date",
            "warehouse__code",
            "order__id",
            "order__number",
            "order__status",
            "order__currency",
            "order__total",
            "order__created_at",
            "order__external_reference",
            "order__email",
            "order__needs_attention",
            "order__channel",
            "order__customer__id",
            "order__customer__name",
            "order__customer__email",
        )
        lookup = Q(tracking_number__in={query, tracking}) | Q(number=tracking)
        if len(query) >= 8 and tracking.isalnum():
            # A range the tracking index serves, confirmed by the prefix itself.
            start, stop = _prefix_range(tracking)
            lookup |= Q(
                tracking_number__gte=start,
                tracking_number__lt=stop,
                tracking_number__startswith=tracking,
            )
        results.shipments = list(shipments.filter(lookup).order_by("-id")[:limit])
        results.shipments.sort(key=lambda s: s.tracking_number not in (query, tracking))
        if results.exact_order is None:
            for shipment in results.shipments:
                if shipment.tracking_number in (query, tracking) or shipment.number == tracking:
                    results.exact_order = shipment.order
                    break

    if results.exact_order is not None:
        add_orders([results.exact_order])
    add_orders(exact)

    # 3. The start of an order number (the unique index on number, as a range).
    if number.isdigit() and len(orders) < limit:
        start, stop = _prefix_range(number)
        add_orders(
            base_orders.filter(number__gte=start, number__lt=stop).order_by("number")[:limit]
        )

    # 4. Customers: email (exact or its start, on the lower(email) unique index), phone
    # (normalised digits on the phone index), or a name fragment.
    customers = Customer.objects.annotate(email_lower=Lower("email")).only(
        "id", "name", "email", "phone", "country", "locale"
    )
    if is_email:
        found = list(
            customers.filter(Q(email_lower=lowered) | Q(email_lower__startswith=lowered)).order_by(
                "email_lower"
            )[:limit]
        )
    elif looks_like_phone(query):
        digits = digits_of(query)
        found = list(
            customers.filter(
                Q(phone__in=phone_candidates(digits)) | Q(phone__startswith=f"+{digits}")
            ).order_by("phone")[:limit]
        )
    elif not number.isdigit():
        # No ORDER BY: a common surname matches thousands of customers at scale, and sorting
        # them all for the first few costs tens of milliseconds; without it PostgreSQL stops
        # at the limit (the trigram and email-prefix indexes of orders 0009 find them). The
        # few found are sorted by name below.
        found = sorted(
            customers.filter(
                Q(email_lower__startswith=lowered) | Q(name__icontains=query)
            ).order_by()[:limit],
            key=lambda c: (c.name, c.pk),
        )
    else:
        found = []
    found.sort(key=lambda c: (c.email.lower() != lowered, c.name.lower() != lowered))
    results.customers = found

    # 5. The latest orders of the few customers found (order_customer_idx), so typing part of
    # an email leads straight to the order the customer calls about; and orders placed with
    # exactly this email by someone else's customer record.
    if len(orders) < limit and (found or is_email):
        lookup = Q(customer_id__in=[c.pk for c in found[:CUSTOMERS_WITH_ORDERS]])
        if is_email:
            lookup |= Q(email=lowered)
        add_orders(base_orders.filter(lookup).order_by("-id")[:limit])

    results.orders = list(orders.values())
    return results
