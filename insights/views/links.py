"""Links between the insights pages that carry the selection along (period, cut, filters), so
a click from a number lands on exactly the rows that number counted."""

from urllib.parse import urlencode

from django.urls import reverse

from insights.views.params import Selection


def with_query(url: str, params: dict[str, str]) -> str:
    return f"{url}?{urlencode(params)}" if params else url


def overview_url(selection: Selection | None = None) -> str:
    url = reverse("insights:overview")
    if selection is None:
        return url
    return with_query(url, selection.period_query())


def measure_url(code: str, selection: Selection, **extra) -> str:
    return with_query(reverse("insights:measure", args=[code]), selection.query(**extra))


def drilldown_url(code: str, selection: Selection, key: str | None = None, **extra) -> str:
    """The orders behind one row of a measure (key) or behind all of it (no key)."""
    return with_query(reverse("insights:drilldown", args=[code]), selection.query(key=key, **extra))
