"""What detection reads from the database, "as of" given moments: shipments in flight and
delayed per warehouse and carrier, customers' contacts in the window before each moment, and
each carrier's usual gap between scans.

The moments are data, not SQL: one statement joins the shipments (or the contacts) with a
small VALUES table of the moments, so asking about 15 moments costs one query and no more
Python than asking about one. That is plain SQL (portable between PostgreSQL and SQLite, table
and column names from the models), because the ORM cannot join with a list of values; every
value is a bound parameter. The moments come in by CROSS JOIN after the rows they are paired
with: SQLite keeps that join order (https://www.sqlite.org/optoverview.html#crossjoin), so a
shipment or contact is filtered on its own columns once and only then paired with each moment,
where it would otherwise pair every moment with every row first; PostgreSQL plans it as any
join."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, NamedTuple

from django.db import connection
from django.db.models import Count, DurationField, ExpressionWrapper, F, Sum

from orders.models import Shipment, TrackingEvent, Warehouse
from support.models import Case, CaseEvent

if TYPE_CHECKING:
    from insights.services.detection import Thresholds

Cell = tuple[str, str]  # (warehouse code, carrier); carrier "" until the parcel is handed over
DELAY_KINDS = ("late", "stalled", "exception", "no_scan")


class Contact(NamedTuple):
    """A customer's contact about an order, and the cells of the parcels it is about."""

    order_id: int
    reason: str
    cells: frozenset[Cell]


@dataclass
class FlightSample:
    """Shipments in flight at one moment, and those delayed (by kind), per cell."""

    in_flight: Counter = field(default_factory=Counter)
    delayed: dict[str, Counter] = field(default_factory=lambda: {k: Counter() for k in DELAY_KINDS})


@dataclass
class SampleCache:
    """Samples of moments already read, for a simulation that asks every 15 minutes about a
    store written up front (its past never changes). Live runs use none: each reads its
    moments in one query per kind of sample."""

    flights: dict[tuple, FlightSample] = field(default_factory=dict)
    contacts: dict[tuple, list[Contact]] = field(default_factory=dict)
    gaps: dict[tuple, dict[str, timedelta]] = field(default_factory=dict)
    derived: dict[tuple, object] = field(default_factory=dict)  # detection's per-moment sums


def _table(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _column(model, name: str) -> str:
    return connection.ops.quote_name(model._meta.get_field(name).column)


def _moment() -> str:
    """A bound datetime parameter, typed where the database needs it to compare with columns."""
    return "CAST(%s AS timestamp with time zone)" if connection.vendor == "postgresql" else "%s"


def _param(moment: datetime):
    return connection.ops.adapt_datetimefield_value(moment)


def _cached(cache_part: dict | None, keys: list) -> tuple[dict, list]:
    found = {key: cache_part[key] for key in keys if cache_part and key in cache_part}
    return found, [key for key in keys if key not in found]


# --- usual scan gaps --------------------------------------------------------------------------


def usual_scan_gaps(
    *, now: datetime, thresholds: Thresholds, cache: SampleCache | None = None
) -> dict[str, timedelta]:
    """Each carrier's usual scan gap: `scan_gap_factor` x its mean time between scans on the
    parcels it delivered in the baseline days before today (UTC), in whole hours, kept between
    `min_scan_gap` and `max_scan_gap`. Two queries; the same all day."""
    end = now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    key = (end, thresholds.baseline_days)
    if cache is not None and key in cache.gaps:
        return cache.gaps[key]
    delivered = Shipment.objects.filter(
        delivered_at__gte=end - timedelta(days=thresholds.baseline_days),
        delivered_at__lt=end,
        shipped_at__isnull=False,
    ).exclude(carrier="")
    transit = dict(
        delivered.values("carrier")
        .annotate(
            transit=Sum(
                ExpressionWrapper(F("delivered_at") - F("shipped_at"), output_field=DurationField())
            )
        )
        .values_list("carrier", "transit")
        .order_by()
    )
    scans = dict(
        TrackingEvent.objects.filter(shipment__in=delivered.values("pk"))
        .exclude(status=TrackingEvent.Status.INFO)
        .values("shipment__carrier")
        .annotate(scans=Count("pk"))
        .values_list("shipment__carrier", "scans")
        .order_by()
    )
    gaps = {}
    for carrier, total in sorted(transit.items()):
        if total and scans.get(carrier):
            gap = thresholds.scan_gap_factor * total / scans[carrier]
            gap = min(max(gap, thresholds.min_scan_gap), thresholds.max_scan_gap)
            gaps[carrier] = timedelta(hours=round(gap / timedelta(hours=1)))
    if cache is not None:
        cache.gaps[key] = gaps
    return gaps


# --- shipments in flight ----------------------------------------------------------------------


def flight_samples(
    moments: list[datetime],
    *,
    gaps: dict[str, timedelta],
    thresholds: Thresholds,
    cache: SampleCache | None = None,
) -> dict[datetime, FlightSample]:
    """At each moment, per cell: shipments in flight (handed over at most `max_transit` before,
    not delivered by then), those flagged delayed by then (by the flag's reason), and the
    others with no scan within their carrier's usual gap ("no_scan"). One query for the
    moments the cache does not hold."""
    settings_key = (tuple(sorted(gaps.items())), thresholds.max_transit, thresholds.max_scan_gap)
    found, missing = _cached(
        cache.flights if cache is not None else None, [(m, settings_key) for m in moments]
    )
    result = {key[0]: sample for key, sample in found.items()}
    if not missing:
        return result
    missing_moments = [key[0] for key in missing]
    carriers = sorted(gaps)
    default_gap = thresholds.max_scan_gap / 2
    # Per moment: when "no scan since" starts to count, for each carrier and for the others.
    moment_rows, moment_params = [], []
    for index, moment in enumerate(missing_moments):
        moment_rows.append("(%s" + f", {_moment()}" * (3 + len(carriers)) + ")")
        moment_params += [
            index,
            _param(moment),
            _param(moment - thresholds.max_transit),
            _param(moment - default_gap),
            *(_param(moment - gaps[carrier]) for carrier in carriers),
        ]
    since_columns = "".join(f", since{i}" for i in range(len(carriers)))
    s, w, e = "s", "w", "e"
    shipment, warehouse, scan = _table(Shipment), _table(Warehouse), _table(TrackingEvent)

    def sc(name: str) -> str:
        return f"{s}.{_column(Shipment, name)}"

    if carriers:
        whens = " ".join(f"WHEN %s THEN m.since{i}" for i in range(len(carriers)))
        since = f"(CASE {sc('carrier')} {whens} ELSE m.since END)"
    else:
        since = "m.since"
    sql = f"""
        WITH moments (idx, at, oldest, since{since_columns}) AS (VALUES {", ".join(moment_rows)})
        SELECT m.idx, {w}.{_column(Warehouse, "code")}, {sc("carrier")},
               CASE WHEN {sc("delayed_at")} IS NOT NULL AND {sc("delayed_at")} <= m.at
                    THEN {sc("delay_reason")} ELSE '' END AS flag,
               COUNT(*),
               SUM(CASE WHEN {sc("shipped_at")} <= {since} AND NOT EXISTS (
                       SELECT 1 FROM {scan} {e}
                       WHERE {e}.{_column(TrackingEvent, "shipment")} = {sc("id")}
                         AND {e}.{_column(TrackingEvent, "occurred_at")} > {since}
                         AND {e}.{_column(TrackingEvent, "occurred_at")} <= m.at
                   ) THEN 1 ELSE 0 END)
        FROM {shipment} {s}
        JOIN {warehouse} {w} ON {w}.{_column(Warehouse, "id")} = {sc("warehouse")}
        CROSS JOIN moments m
        WHERE {sc("carrier")} <> ''
          AND {sc("shipped_at")} <= {_moment()} AND {sc("shipped_at")} > {_moment()}
          AND ({sc("delivered_at")} IS NULL OR {sc("delivered_at")} > {_moment()})
          AND {sc("shipped_at")} <= m.at AND {sc("shipped_at")} > m.oldest
          AND ({sc("delivered_at")} IS NULL OR {sc("delivered_at")} > m.at)
        GROUP BY 1, 2, 3, 4
    """
    bounds = [
        _param(max(missing_moments)),
        _param(min(missing_moments) - thresholds.max_transit),
        _param(min(missing_moments)),
    ]
    samples = {moment: FlightSample() for moment in missing_moments}
    with connection.cursor() as cursor:
        cursor.execute(sql, moment_params + carriers * 2 + bounds)
        for index, code, carrier, flag, count, silent in cursor.fetchall():
            sample = samples[missing_moments[index]]
            cell = (code, carrier)
            sample.in_flight[cell] += count
            if flag:
                sample.delayed[flag][cell] += count
            elif silent:
                sample.delayed["no_scan"][cell] += int(silent)
    for key, moment in zip(missing, missing_moments, strict=True):
        if cache is not None:
            cache.flights[key] = samples[moment]
        result[moment] = samples[moment]
    return result


# --- contacts ---------------------------------------------------------------------------------


def contact_samples(
    moments: list[datetime], *, thresholds: Thresholds, cache: SampleCache | None = None
) -> dict[datetime, list[Contact]]:
    """The contacts in the window ending at each moment (after moment - window, up to the
    moment), oldest first: cases opened and further contacts on cases, each with the cells of
    the parcels it is about (the case's shipment if it names one, else every shipment of its
    order; the carrier only if the parcel was handed over by then). One query."""
    window = thresholds.window
    found, missing = _cached(
        cache.contacts if cache is not None else None, [(m, window) for m in moments]
    )
    result = {key[0]: sample for key, sample in found.items()}
    if not missing:
        return result
    missing_moments = [key[0] for key in missing]
    moment_rows, params = [], []
    for index, moment in enumerate(missing_moments):
        moment_rows.append(f"(%s, {_moment()}, {_moment()})")
        params += [index, _param(moment - window), _param(moment)]
    case, event = _table(Case), _table(CaseEvent)
    shipment, warehouse = _table(Shipment), _table(Warehouse)

    def cc(name: str) -> str:
        return f"c.{_column(Case, name)}"

    def sc(name: str) -> str:
        return f"s.{_column(Shipment, name)}"

    def branch(source: str, contact_id: str, at: str, table_join: str, condition: str) -> str:
        return f"""
            SELECT m.idx, '{source}', {contact_id}, {at}, {cc("order")}, {cc("reason")},
                   {cc("shipment")}, {sc("id")}, w.{_column(Warehouse, "code")},
                   CASE WHEN {sc("shipped_at")} IS NOT NULL AND {sc("shipped_at")} <= {at}
                        THEN {sc("carrier")} ELSE '' END
            FROM {table_join}
            CROSS JOIN moments m
            JOIN {shipment} s ON {sc("order")} = {cc("order")}
            JOIN {warehouse} w ON w.{_column(Warehouse, "id")} = {sc("warehouse")}
            WHERE {cc("order")} IS NOT NULL AND {condition}
              AND {at} > {_moment()} AND {at} <= {_moment()}
              AND {at} > m.since AND {at} <= m.at
        """

    opened_at = cc("opened_at")
    event_at = f"e.{_column(CaseEvent, 'created_at')}"
    opened = branch("c", cc("id"), opened_at, f"{case} c", "1 = 1")
    again = branch(
        "e",
        f"e.{_column(CaseEvent, 'id')}",
        event_at,
        f"{event} e JOIN {case} c ON {cc('id')} = e.{_column(CaseEvent, 'case')}",
        f"e.{_column(CaseEvent, 'type')} = %s",
    )
    sql = f"""
        WITH moments (idx, since, at) AS (VALUES {", ".join(moment_rows)})
        {opened}
        UNION ALL
        {again}
        ORDER BY 1, 4, 2, 3
    """
    bounds = [_param(min(missing_moments) - window), _param(max(missing_moments))]
    params += [*bounds, CaseEvent.Type.CONTACT.value, *bounds]
    samples = _fold_contacts(sql, params, len(missing_moments))
    for key, moment, sample in zip(missing, missing_moments, samples, strict=True):
        if cache is not None:
            cache.contacts[key] = sample
        result[moment] = sample
    return result


def _fold_contacts(sql: str, params: list, count: int) -> list[list[Contact]]:
    """Rows (one per shipment of the contact's order) folded into contacts, per moment."""
    cells: dict[tuple, set[Cell]] = defaultdict(set)
    heads: dict[tuple, tuple[int, int, str]] = {}
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for row in cursor.fetchall():
            index, source, contact_id, _at, order_id, reason, named, shipment_id, *cell = row
            key = (index, source, contact_id)
            heads.setdefault(key, (index, order_id, reason))
            if named is None or named == shipment_id:
                cells[key].add((cell[0], cell[1]))
    samples: list[list[Contact]] = [[] for _ in range(count)]
    for key, (index, order_id, reason) in heads.items():  # rows came oldest first
        if cells[key]:
            samples[index].append(Contact(order_id, reason, frozenset(cells[key])))
    return samples
