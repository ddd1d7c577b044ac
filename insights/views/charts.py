"""The data a chart on an insights page draws: labels, values and, per bar or point, the
drill-down link. Rendered with json_script; static/js/insights.js turns it into a Chart.js
chart. The same rows fill the table next to it, so chart and table never disagree."""

from collections.abc import Callable, Sequence

from insights.measures import Measure, Row
from insights.templatetags.insights import format_amount, format_value


def chart_data(
    measure: Measure,
    rows: Sequence[Row],
    *,
    link: Callable[[Row], str],
    kind: str = "bar",
    label: str = "",
    unit: str = "",
) -> dict:
    """One dataset: the rows' values (None where the denominator is zero), their formatted
    text for the tooltip, and where each bar or point leads."""
    return {
        "kind": kind,
        "label": label or str(measure.title),
        "unit": unit or measure.unit,
        "labels": [str(row.label) for row in rows],
        "values": [None if row.value is None else float(row.value) for row in rows],
        "display": [format_value(row.value, unit or measure.unit) for row in rows],
        "details": [
            f"{format_amount(row.numerator)} / {format_amount(row.denominator)}" for row in rows
        ],
        "urls": [link(row) for row in rows],
    }
