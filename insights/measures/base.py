"""The measures' common ground: the period, the rows a measure answers with, how a fact (a
contact, a shipment, a returned unit, money given back) reaches each cut, and the registry.

Attribution, shared by every measure
------------------------------------
- Dates and days are the store's (settings.TIME_ZONE): a period runs from `start` (included) to
  `end` (excluded); "ship date" is the local day of `Shipment.shipped_at`.
- Warehouse, carrier and ship date belong to shipments. A fact tied to one shipment (a case
  naming its shipment, a tracking scan) goes to that shipment. A fact tied only to an order goes
  to the order's *first shipment*: the lowest id, preferring shipments not cancelled. A returned
  unit goes to the first shipment that carried its order line. A fact with no shipment at all is
  the key "none" (label "Not attributed"); a shipment not handed to a carrier yet has carrier
  "none".
- Destination region is the order's shipping address, "<country>-<region>" (e.g. "BR-SP").
- Channel is the order's channel.
- Product: a fact about one order line counts for that line's product; a fact about a whole
  order (a contact, an order) counts once for *each* product on the order, so the product rows
  read "among orders containing this product" and do not add up to the total.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, ClassVar
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import (
    Case,
    CharField,
    Exists,
    Expression,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Concat, TruncDate
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from oms.exceptions import NotFound, ValidationFailed
from orders.models import Order, OrderLine, Product, Shipment, ShipmentLine, Warehouse

CUTS = ("warehouse", "carrier", "region", "ship_date", "product", "channel")
ALL = "all"
NONE = "none"
KEY = "insight_key"
HUNDRED = Decimal(100)
CENT = Decimal("0.01")
ZERO = Decimal(0)


class Unit:
    PER_100_ORDERS = "per_100_orders"
    PER_100_SHIPMENTS = "per_100_shipments"
    PERCENT = "percent"
    SCORE = "score"
    MONEY_PER_ORDER = "money_per_order"
    NPS = "nps"  # promoters minus detractors, -100 to 100


def store_zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


@dataclass(frozen=True)
class Period:
    """A span of time, aware, `end` excluded."""

    start: dt.datetime
    end: dt.datetime

    def __post_init__(self) -> None:
        if timezone.is_naive(self.start) or timezone.is_naive(self.end):
            raise ValueError("A period needs aware datetimes.")
        if self.end <= self.start:
            raise ValueError("A period ends after it starts.")

    @classmethod
    def for_days(cls, first: dt.date, last: dt.date) -> Period:
        """Whole local days of the store, `last` included."""
        zone = store_zone()
        return cls(
            dt.datetime.combine(first, dt.time(), tzinfo=zone),
            dt.datetime.combine(last + dt.timedelta(days=1), dt.time(), tzinfo=zone),
        )

    @classmethod
    def last_days(cls, days: int, now: dt.datetime | None = None) -> Period:
        """The last `days` whole local days, today included (to its midnight)."""
        today = timezone.localtime(now or timezone.now(), store_zone()).date()
        return cls.for_days(today - dt.timedelta(days=days - 1), today)

    def contains(self, field: str) -> Q:
        return Q(**{f"{field}__gte": self.start, f"{field}__lt": self.end})


@dataclass(frozen=True)
class Row:
    key: str
    label: str
    numerator: Decimal
    denominator: Decimal
    value: Decimal | None


def join(path: str, field: str) -> str:
    return f"{path}__{field}" if path else field


def outer(path: str) -> OuterRef:
    """An OuterRef to the id of what `path` names ("" = the row itself)."""
    return OuterRef(path or "pk")


@dataclass(frozen=True)
class Attribution:
    """How a fact's model reaches the cuts: the path to its order ("" = the fact is an order,
    None = no order), to its own shipment ("" = the fact is a shipment; `shipment_nullable`
    when the link may be empty, then the order's first shipment stands in), and to its order
    line (for the product, and for the shipment that carried the line)."""

    order: str | None
    shipment: str | None = None
    shipment_nullable: bool = False
    line: str | None = None


def first_shipments(order_ref: OuterRef) -> QuerySet[Shipment]:
    """The order's shipments, the one a fact about the whole order goes to first."""
    return Shipment.objects.filter(order_id=order_ref).order_by(
        Case(When(status=Shipment.Status.CANCELLED, then=Value(1)), default=Value(0)), "id"
    )


def shipment_field(att: Attribution, field: str) -> Expression:
    """The value of `field` on the shipment the fact is attributed to (None without one)."""
    if att.shipment is not None and not att.shipment_nullable:
        return F(join(att.shipment, field))
    if att.shipment is None and att.line is not None:
        carried = ShipmentLine.objects.filter(
            line_id=outer(att.line), shipment__shipped_at__isnull=False
        ).order_by("shipment_id")
        return Subquery(carried.values(f"shipment__{field}")[:1])
    fallback: Expression = Value(None)
    if att.order is not None:
        fallback = Subquery(first_shipments(outer(att.order)).values(field)[:1])
    if att.shipment is None:
        return fallback
    return Case(
        When(**{f"{att.shipment}__isnull": False}, then=F(join(att.shipment, field))),
        default=fallback,
    )


def order_field(att: Attribution, field: str) -> Expression:
    if att.order is None:
        return Value(None)
    return F(join(att.order, field))


def region_expression(att: Attribution) -> Expression:
    if att.order is None:
        return Value(None)
    address = join(att.order, "shipping_address")
    region = Concat(
        KeyTextTransform("country", address),
        Value("-"),
        KeyTextTransform("region", address),
        output_field=CharField(),
    )
    if not att.order:
        return region
    return Case(When(**{f"{att.order}__isnull": True}, then=Value(None)), default=region)


def cut_expression(cut: str, att: Attribution) -> Expression:
    """The key of `cut` for one fact (a product cut over an order joins its lines: count
    distinct)."""
    if cut == "warehouse":
        return shipment_field(att, "warehouse__code")
    if cut == "carrier":
        return shipment_field(att, "carrier")
    if cut == "ship_date":
        return TruncDate(shipment_field(att, "shipped_at"), tzinfo=store_zone())
    if cut == "region":
        return region_expression(att)
    if cut == "channel":
        return order_field(att, "channel")
    if cut == "product":
        if att.line is not None:
            return F(join(att.line, "variant__product__slug"))
        if att.shipment == "" and not att.shipment_nullable:
            return F("lines__line__variant__product__slug")
        if att.order is not None:
            return F(join(att.order, "lines__variant__product__slug"))
        return Value(None)
    raise ValueError(f"unknown cut {cut}")


def product_filter(att: Attribution, key: str) -> Q | Exists:
    """Facts about a whole order or shipment that contain the product (no join, no duplicates)."""
    if att.shipment == "" and not att.shipment_nullable:
        return Exists(
            ShipmentLine.objects.filter(
                shipment_id=OuterRef("pk"), line__variant__product__slug=key
            )
        )
    if att.order is None:
        return Q(pk__in=[])
    return Exists(OrderLine.objects.filter(order_id=outer(att.order), variant__product__slug=key))


def filter_by_key(
    queryset: QuerySet, cut: str, key: str, expression: Expression, *, att: Attribution
) -> QuerySet:
    """The facts whose `cut` key is `key` ("none": those without one)."""
    if cut == "product" and att.line is None:
        return queryset.filter(product_filter(att, key))
    name = f"{KEY}_{cut}"
    queryset = queryset.annotate(**{name: expression})
    if key == NONE:
        blank = Q(**{f"{name}__isnull": True})
        if cut in ("carrier", "warehouse", "channel", "region"):
            blank |= Q(**{name: ""})
        return queryset.filter(blank)
    if cut == "ship_date":
        return queryset.filter(**{name: parse_day(key)})
    return queryset.filter(**{name: key})


def parse_day(key: str, *, field: str = "ship_date") -> dt.date:
    try:
        return dt.date.fromisoformat(key)
    except ValueError:
        raise invalid(field, "invalid_day", _("Use a day as YYYY-MM-DD.")) from None


def normalize_key(value: Any) -> str:
    if value is None or value == "":
        return NONE
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def invalid(field: str, code: str, message: str) -> ValidationFailed:
    return ValidationFailed(
        str(message),
        code="invalid_measure_query",
        errors=[{"field": field, "code": code, "message": str(message)}],
    )


def grouped(
    queryset: QuerySet,
    key: Expression | None,
    aggregates: dict[str, Any],
) -> dict[str, dict[str, Any]]:
    """One query: the aggregates per key (or once, under "all", without a key)."""
    queryset = queryset.order_by()
    if key is None:
        return {ALL: queryset.aggregate(**aggregates)}
    rows = queryset.annotate(**{KEY: key}).values(KEY).annotate(**aggregates).order_by()
    out: dict[str, dict[str, Any]] = {}
    for row in rows:
        bucket = out.setdefault(normalize_key(row.pop(KEY)), {})
        for name, value in row.items():
            bucket[name] = (bucket.get(name) or 0) + (value or 0)
    return out


def as_decimal(value: Any) -> Decimal:
    if value is None:
        return ZERO
    return value if isinstance(value, Decimal) else Decimal(value)


def ratio(numerator: Decimal, denominator: Decimal, *, scale: Decimal = HUNDRED) -> Decimal | None:
    """numerator x scale / denominator, rounded half up to 2 places (None over nothing):
    computed here, not in SQL, so SQLite and PostgreSQL agree to the digit."""
    if not denominator:
        return None
    return (numerator * scale / denominator).quantize(CENT, rounding=ROUND_HALF_UP)


# --- Labels ------------------------------------------------------------------------------------

NOT_ATTRIBUTED = _("Not attributed")


def labels_for(cut: str | None, keys: Iterable[str], extra: dict[str, Any] | None = None) -> dict:
    """Human labels of the keys: one query for warehouses or products, none otherwise."""
    keys = list(keys)
    labels: dict[str, Any] = {NONE: NOT_ATTRIBUTED, ALL: _("All")}
    if extra:
        labels.update(extra)
    if cut == "warehouse":
        labels.update(Warehouse.objects.filter(code__in=keys).values_list("code", "name"))
    elif cut == "product":
        labels.update(Product.objects.filter(slug__in=keys).values_list("slug", "name"))
    elif cut == "channel":
        labels.update(Order.Channel.choices)
    elif cut == "carrier":
        labels[NONE] = _("Not shipped")
    return {key: str(labels.get(key, key)) for key in keys}


# --- Measures ----------------------------------------------------------------------------------


class Measure:
    """One number the insights pages show, with its definition. Subclasses fill `counts`
    (numerator and denominator per key) and `behind` (the facts behind a key, as order ids)."""

    code: ClassVar[str]
    title: ClassVar[Any]
    definition: ClassVar[Any]
    unit: ClassVar[str]
    cuts: ClassVar[tuple[str, ...]]
    # Filters it takes besides the cuts (a cut's key is also a filter).
    filter_names: ClassVar[tuple[str, ...]] = ()
    # What orders_behind returns, in words.
    drill: ClassVar[Any] = ""
    higher_is_better: ClassVar[bool] = False
    # Labels and order of measure-specific keys (reasons, components, experiences).
    key_labels: ClassVar[dict[str, Any]] = {}

    # -- the interface --

    def compute(
        self, period: Period, cut: str | None = None, filters: dict | None = None
    ) -> list[Row]:
        """One row per key of the cut (one row "all" without a cut), in a bounded number of
        queries whatever the amount of data."""
        filters = self.clean(cut, filters)
        numerators, denominators = self.counts(period, cut, filters)
        keys = set(numerators) | set(denominators)
        if cut is None:
            keys = {ALL}
        labels = labels_for(cut, keys, self.labels(cut))
        return [
            Row(
                key=key,
                label=labels[key],
                numerator=as_decimal(numerators.get(key)),
                denominator=as_decimal(denominators.get(key)),
                value=self.value(
                    as_decimal(numerators.get(key)), as_decimal(denominators.get(key)), filters
                ),
            )
            for key in self.ordered(cut, keys)
        ]

    def orders_behind(
        self,
        period: Period,
        cut: str | None = None,
        key: str | None = None,
        filters: dict | None = None,
    ) -> QuerySet[Order]:
        """The orders behind the number (see `drill`), newest first; with a cut and a key, only
        those of that key."""
        filters = self.clean(cut, filters)
        if cut is not None and key is not None:
            if not isinstance(key, str) or not key:
                raise invalid("key", "invalid_key", _("Name a key of the cut."))
            if cut == "ship_date" and key != NONE:
                parse_day(key, field="key")
            filters = {**filters, cut: key}
        return Order.objects.filter(self.behind(period, filters)).order_by("-id")

    # -- for subclasses --

    def counts(
        self, period: Period, cut: str | None, filters: dict
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        raise NotImplementedError

    def behind(self, period: Period, filters: dict) -> Q:
        """The orders behind the number, as a condition on Order (pk__in subqueries)."""
        raise NotImplementedError

    def value(self, numerator: Decimal, denominator: Decimal, filters: dict) -> Decimal | None:
        return ratio(numerator, denominator)

    def comments(self, order_ids: list[int], period: Period, filters: dict) -> dict[int, list[str]]:
        """What customers said behind the number, per order of a drill-down page (measures
        built on answers and reviews show them; one query). None by default."""
        return {}

    def labels(self, cut: str | None) -> dict[str, Any]:
        return self.key_labels if cut in self.own_cuts() else {}

    def own_cuts(self) -> tuple[str, ...]:
        return tuple(c for c in self.cuts if c not in CUTS)

    def ordered(self, cut: str | None, keys: set[str]) -> list[str]:
        if cut in self.own_cuts() and self.key_labels:
            order = list(self.key_labels)
            return sorted(keys, key=lambda k: (order.index(k) if k in order else len(order), k))
        return sorted(keys, key=lambda k: (k == NONE, k))

    def clean(self, cut: str | None, filters: dict | None) -> dict:
        """Refuse a cut or a filter this measure does not take (ValidationFailed, with the
        field at fault)."""
        if cut is not None and cut not in self.cuts:
            raise invalid(
                "cut",
                "invalid_cut",
                _("This measure is cut by: %(cuts)s.") % {"cuts": ", ".join(self.cuts)},
            )
        filters = {k: v for k, v in (filters or {}).items() if v not in (None, "")}
        for name, value in filters.items():
            if name not in self.cuts and name not in self.filter_names:
                raise invalid(name, "unknown_filter", _("This measure has no such filter."))
            if not isinstance(value, str):
                raise invalid(name, "invalid", _("A filter is one value."))
            if name == "ship_date" and value != NONE:
                parse_day(value)
        return filters

    # -- helpers --

    def key_expression(
        self, cut: str | None, att: Attribution, own: dict[str, Expression] | None = None
    ) -> Expression | None:
        if cut is None:
            return None
        if own and cut in own:
            return own[cut]
        if cut in CUTS:
            return cut_expression(cut, att)
        return None

    def apply_filters(
        self,
        queryset: QuerySet,
        att: Attribution,
        filters: dict,
        own: dict[str, Callable[[QuerySet, str], QuerySet]] | None = None,
    ) -> QuerySet:
        """Narrow facts by the cut filters (warehouse=EAST, product=tee, …) and the measure's
        own ones (given as functions)."""
        for name, value in filters.items():
            if own and name in own:
                queryset = own[name](queryset, value)
            elif name in CUTS:
                queryset = filter_by_key(queryset, name, value, cut_expression(name, att), att=att)
        return queryset


MEASURES: dict[str, Measure] = {}


def register(cls: type[Measure]) -> type[Measure]:
    MEASURES[cls.code] = cls()
    return cls


def get_measure(code: str) -> Measure:
    try:
        return MEASURES[code]
    except KeyError:
        raise NotFound(
            _("There is no measure %(code)s.") % {"code": code}, code="measure_not_found"
        ) from None


__all__ = [
    "ALL",
    "CUTS",
    "MEASURES",
    "NONE",
    "Attribution",
    "Measure",
    "Period",
    "Row",
    "Unit",
    "get_measure",
    "register",
]
