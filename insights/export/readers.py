"""Reading what a dataset has not exported yet, in keyset pages, so memory stays flat whatever
the size of the tables, and where the next run starts (the new position).

Every reader stops at a horizon: rows created or changed in the last moments (the settle
time, one minute by default) wait for the next run. A transaction that took its id or its
updated_at before committing cannot then commit behind a watermark already passed, as long
as it lasts less than the settle time.
"""

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from operator import itemgetter
from typing import Any

from django.db.models import DateTimeField, Exists, Max, OuterRef, Q, QuerySet, Value

from insights.export.datasets import Column, Dataset, Watermark
from support.models import Case, CaseEvent

# Ids per IN (...) list: below SQLite's bound on query parameters, cheap for PostgreSQL.
IN_CHUNK = 10_000

Row = tuple[Any, ...]


@dataclass
class Position:
    """Where a dataset's export stands (what ExportCursor stores)."""

    last_id: int = 0
    last_updated_at: datetime | None = None
    state: dict[str, Any] = field(default_factory=dict)

    def describe(self) -> dict[str, Any]:
        """For the manifest: the watermark, and how many unsettled rows are held back."""
        described: dict[str, Any] = {"last_id": self.last_id}
        if self.last_updated_at is not None:
            described["last_updated_at"] = self.last_updated_at.isoformat()
        if "event_id" in self.state:
            described["last_case_event_id"] = self.state["event_id"]
        if "held" in self.state:
            described["held_unsettled"] = len(self.state["held"])
        return described


def select(queryset: QuerySet, columns: Sequence[Column | None]) -> QuerySet:
    """The columns' values as tuples; a column the reader supplies (no source, or None in
    place of the column) reads as NULL here."""
    return queryset.values_list(
        *(
            column.source
            if column is not None and column.source is not None
            else Value(None, output_field=DateTimeField())
            for column in columns
        )
    )


def chunks(values: Sequence[int], size: int = IN_CHUNK) -> Iterator[Sequence[int]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def highest_id_before(queryset: QuerySet, time_field: str, horizon: datetime) -> int | None:
    """The newest id created before the horizon: with a short backward walk of the primary key,
    since ids and creation times rise together."""
    return (
        queryset.filter(**{f"{time_field}__lt": horizon})
        .order_by("-id")
        .values_list("id", flat=True)
        .first()
    )


class Reader:
    """Yields pages of rows (tuples in the dataset's column order); `position` is where the
    next run starts once every page has been read."""

    def __init__(self, dataset: Dataset, position: Position, *, horizon: datetime, size: int):
        self.dataset = dataset
        self.start = position
        self.position = position
        self.horizon = horizon
        self.size = size
        self.columns = dataset.columns
        self.id_index = dataset.column_index("id")

    def pages(self) -> Iterator[list[Row]]:
        raise NotImplementedError


class IdReader(Reader):
    """Append-only rows: ids above the watermark, up to the newest one before the horizon."""

    def pages(self) -> Iterator[list[Row]]:
        base = self.dataset.queryset()
        high = highest_id_before(base, self.dataset.created_field, self.horizon)
        last = self.start.last_id
        if high is None or high <= last:
            return
        while True:
            query = base.filter(id__gt=last, id__lte=high).order_by("id")
            rows = list(select(query, self.columns)[: self.size])
            if not rows:
                break
            last = rows[-1][self.id_index]
            yield rows
        self.position = Position(last_id=high)


def after(position_at: datetime | None, position_id: int) -> Q:
    """Rows past a (updated_at, id) keyset position, written as one range on updated_at (what
    an index on (updated_at, id) serves) minus the rows of that instant already exported."""
    if position_at is None:
        return Q()
    return Q(updated_at__gte=position_at) & ~Q(updated_at=position_at, id__lte=position_id)


def up_to(position_at: datetime, position_id: int) -> Q:
    """Rows up to a (updated_at, id) keyset position, included."""
    return Q(updated_at__lte=position_at) & ~Q(updated_at=position_at, id__gt=position_id)


class UpdatedAtReader(Reader):
    """Rows that change: every row past the (updated_at, id) watermark, before the horizon."""

    def pages(self) -> Iterator[list[Row]]:
        base = self.dataset.queryset().filter(updated_at__lt=self.horizon)
        at, last = self.start.last_updated_at, self.start.last_id
        updated_index = self.dataset.column_index("updated_at")
        while True:
            query = base.filter(after(at, last)).order_by("updated_at", "id")
            rows = list(select(query, self.columns)[: self.size])
            if not rows:
                break
            at, last = rows[-1][updated_index], rows[-1][self.id_index]
            self.position = Position(last_id=last, last_updated_at=at)
            yield rows


class ParentUpdatedAtReader(Reader):
    """Lines of a parent that changes: a page of parents past the watermark (as
    UpdatedAtReader), then, in one query, the lines of the parents in that page's keyset
    range. The parent's columns (`order__created_at`...) come from the parent's page."""

    def pages(self) -> Iterator[list[Row]]:
        assert self.dataset.parent_queryset is not None
        parents = self.dataset.parent_queryset().filter(updated_at__lt=self.horizon)
        children = self.dataset.queryset()
        lookup = self.dataset.parent_lookup  # "order_id"
        prefix = lookup.removesuffix("_id") + "__"  # "order__"
        from_parent = {
            index: column.source.removeprefix(prefix)
            for index, column in enumerate(self.columns)
            if isinstance(column.source, str) and column.source.startswith(prefix)
        }
        parent_fields = ["id", "updated_at", *dict.fromkeys(from_parent.values())]
        width = len(self.columns)
        # A line's row: its own values, then its parent's page row; picked in column order.
        pick = itemgetter(
            *(
                width + parent_fields.index(from_parent[i]) if i in from_parent else i
                for i in range(width)
            )
        )
        lookup_index = next(i for i, c in enumerate(self.columns) if c.source == lookup)
        own = [None if i in from_parent else c for i, c in enumerate(self.columns)]
        at, last = self.start.last_updated_at, self.start.last_id
        while True:
            query = parents.filter(after(at, last)).order_by("updated_at", "id")
            page = list(query.values_list(*parent_fields)[: self.size])
            if not page:
                break
            in_page = parents.filter(after(at, last), up_to(page[-1][1], page[-1][0]))
            at, last = page[-1][1], page[-1][0]
            by_id = {row[0]: row for row in page}
            query = children.filter(**{f"{lookup}__in": in_page.values("id")})
            rows = [
                pick(row + by_id[row[lookup_index]])
                for row in select(query.order_by(lookup, "id"), own)
                if row[lookup_index] in by_id
            ]
            self.position = Position(last_id=last, last_updated_at=at)
            if rows:
                yield rows


class SettledReader(Reader):
    """Append-only rows that settle once: new ids up to the horizon, plus the ids held back by
    earlier runs; settled rows are exported, the others are held for the next run."""

    def pages(self) -> Iterator[list[Row]]:
        base = self.dataset.queryset()
        settled_index = self.dataset.column_index(self.dataset.settled_column)
        settled = self.dataset.settled_values
        held: list[int] = []
        high = highest_id_before(base, self.dataset.created_field, self.horizon)
        last = self.start.last_id
        if high is not None and high > last:
            while True:
                query = base.filter(id__gt=last, id__lte=high).order_by("id")
                rows = list(select(query, self.columns)[: self.size])
                if not rows:
                    break
                last = rows[-1][self.id_index]
                held += [row[self.id_index] for row in rows if row[settled_index] not in settled]
                ready = [row for row in rows if row[settled_index] in settled]
                if ready:
                    yield ready
            last = high
        for chunk in chunks(sorted(self.start.state.get("held", []))):
            rows = list(select(base.filter(id__in=chunk).order_by("id"), self.columns))
            held += [row[self.id_index] for row in rows if row[settled_index] not in settled]
            ready = [row for row in rows if row[settled_index] in settled]
            if ready:
                yield ready
        self.position = Position(last_id=last, state={"held": sorted(held)})


class CaseEventsReader(Reader):
    """Support cases: every change to a case writes a case event, so the cases to export are
    those with events past the case-event watermark (with the time of their newest event as
    updated_at), plus any new case that has no event at all (updated_at: when it opened)."""

    def pages(self) -> Iterator[list[Row]]:
        updated_index = self.dataset.column_index("updated_at")
        opened_index = self.dataset.column_index("opened_at")
        events_from = self.start.state.get("event_id", 0)
        events_to = highest_id_before(CaseEvent.objects.all(), "created_at", self.horizon)
        events_to = max(events_to or 0, events_from)
        cases_from = self.start.last_id
        cases_to = max(
            highest_id_before(Case.objects.all(), "opened_at", self.horizon) or 0, cases_from
        )

        def versioned(rows: list[Row], at_by_case: dict[int, datetime] | None) -> list[Row]:
            out = []
            for row in rows:
                opened = row[opened_index]
                at = at_by_case.get(row[self.id_index]) if at_by_case else None
                version = max(at, opened) if at is not None else opened
                out.append((*row[:updated_index], version, *row[updated_index + 1 :]))
            return out

        touched = (
            CaseEvent.objects.filter(id__gt=events_from, id__lte=events_to)
            .values("case_id")
            .annotate(newest=Max("id"), at=Max("created_at"))
        )
        newest_seen = 0
        while events_to > events_from:
            page = list(
                touched.filter(newest__gt=newest_seen)
                .order_by("newest")
                .values_list("case_id", "newest", "at")[: self.size]
            )
            if not page:
                break
            newest_seen = page[-1][1]
            at_by_case = {case_id: at for case_id, _, at in page}
            for chunk in chunks(list(at_by_case)):
                query = Case.objects.filter(id__in=chunk).order_by("id")
                yield versioned(list(select(query, self.columns)), at_by_case)

        without_events = Case.objects.filter(
            ~Exists(CaseEvent.objects.filter(case_id=OuterRef("pk"))),
            id__gt=cases_from,
            id__lte=cases_to,
        )
        last = cases_from
        while cases_to > last:
            query = without_events.filter(id__gt=last).order_by("id")
            rows = list(select(query, self.columns)[: self.size])
            if not rows:
                break
            last = rows[-1][self.id_index]
            yield versioned(rows, None)
        self.position = Position(last_id=cases_to, state={"event_id": events_to})


READERS: dict[Watermark, type[Reader]] = {
    Watermark.ID: IdReader,
    Watermark.UPDATED_AT: UpdatedAtReader,
    Watermark.PARENT_UPDATED_AT: ParentUpdatedAtReader,
    Watermark.SETTLED: SettledReader,
    Watermark.CASE_EVENTS: CaseEventsReader,
}


def reader_for(dataset: Dataset, position: Position, *, horizon: datetime, size: int) -> Reader:
    return READERS[dataset.watermark](dataset, position, horizon=horizon, size=size)
