"""One page per measure: its definition, a cut (only those the measure supports), its filters, a
chart (bars per key; a line over ship dates), the table behind the chart, every number a link
to the orders behind it, and the table as CSV (`?format=csv`)."""

from dataclasses import replace
from datetime import date

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path, reverse
from django.utils.cache import patch_vary_headers
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from insights.measures import MEASURES, Measure, Row
from insights.views.charts import chart_data
from insights.views.csv import csv_response
from insights.views.links import drilldown_url, measure_url, overview_url
from insights.views.params import (
    OVERALL,
    PERIOD_CHOICES,
    MeasureForm,
    Selection,
    cut_label,
    display_unit,
    filter_chips,
    form_errors,
    measure_filters,
    selection_from,
)
from oms.exceptions import ValidationFailed
from support.access import console_view

TEMPLATE = "insights/measure.html"
LINE_CUTS = {"ship_date"}
TREND_CUT = "ship_date"
# Bars beyond this many would be too thin to read or click.
CHART_BARS = 20
SORTED_CUTS = {"warehouse", "carrier", "region", "product", "channel"}


def measure_or_404(code: str) -> Measure:
    measure = MEASURES.get(code)
    if measure is None:
        raise Http404(_("No such measure."))
    return measure


def _filename(measure: Measure, selection: Selection, suffix: str = "") -> str:
    parts = [measure.code, selection.cut or "overall", *selection.filters.values()]
    parts += [selection.first_day.isoformat(), selection.last_day.isoformat()]
    return "_".join(parts) + suffix + ".csv"


def _table_csv(measure: Measure, selection: Selection, rows, *labels: str) -> HttpResponse:
    """The table as the page shows it: key, label, numerator, denominator, value."""
    cut_name = cut_label(measure, selection.cut) if selection.cut else _("Overall")
    header = [_("Key"), cut_name, *labels, str(measure.title)]
    return csv_response(
        _filename(measure, selection),
        header,
        ([row.key, row.label, row.numerator, row.denominator, row.value] for row in rows),
    )


def _labels(measure: Measure) -> tuple[str, str]:
    """What the numerator and denominator count, for the table's headings."""
    return (
        str(getattr(measure, "numerator_label", "") or _("Numerator")),
        str(getattr(measure, "denominator_label", "") or _("Denominator")),
    )


def _bar_widths(rows) -> list[float]:
    """Each row's value as a share of the largest, for the bars inside the table."""
    values = [row.value for row in rows]
    top = max((value for value in values if value is not None and value > 0), default=None)
    return [
        0.0 if value is None or not top or value < 0 else round(100 * float(value / top), 1)
        for value in values
    ]


def row_label(row, cut: str | None) -> str:
    """A row's label on the page: ship dates in the reader's date format."""
    if cut == TREND_CUT:
        try:
            return date_format(date.fromisoformat(row.key), "DATE_FORMAT")
        except ValueError:
            return row.label
    return row.label


def _others(measure: Measure, selection: Selection | None) -> list[tuple[Measure, str]]:
    """Links to the other measures over the same period."""
    others = [other for other in MEASURES.values() if other is not measure]
    if selection is None:
        return [(other, reverse("insights:measure", args=[other.code])) for other in others]
    period = replace(selection, cut=None, filters={})
    return [(other, measure_url(other.code, period)) for other in others]


def bars_of(rows: list[Row], cut: str) -> list[Row]:
    """The rows a bar chart draws: for places, carriers, products and channels, the highest
    values first and at most CHART_BARS of them (the table lists every row); a measure's own
    cuts (reasons, experiences, components) keep their meaningful order."""
    if cut not in SORTED_CUTS:
        return rows[:CHART_BARS]
    ranked = sorted(rows, key=lambda row: (row.value is None, -(row.value or 0), row.label))
    return ranked[:CHART_BARS]


def _compute(measure: Measure, selection: Selection):
    """The rows of the cut, the overall row and the chart: a cut's rows as bars (a line over
    ship dates); without a cut, the measure by ship date when it has one."""
    code, cut = measure.code, selection.cut
    rows = measure.compute(selection.period, cut=cut, filters=selection.filters)
    overall = measure.compute(selection.period, filters=selection.filters) if cut else rows
    chart = None
    if cut:
        chart = chart_data(
            measure,
            rows if cut in LINE_CUTS else bars_of(rows, cut),
            kind="line" if cut in LINE_CUTS else "bar",
            unit=display_unit(measure, selection),
            link=lambda row: drilldown_url(code, selection, row.key),
        )
    elif TREND_CUT in measure.cuts:
        trend = replace(selection, cut=TREND_CUT)
        chart = chart_data(
            measure,
            measure.compute(selection.period, cut=TREND_CUT, filters=selection.filters),
            kind="line",
            unit=display_unit(measure, selection),
            link=lambda row: drilldown_url(code, trend, row.key),
        )
    return rows, overall, chart


@console_view("view_insights")
def measure_page(request: HttpRequest, code: str) -> HttpResponse:
    """Opens on the measure's first cut; `cut=all` shows it over everything. An htmx request
    aimed at #insights-body gets that part alone (what the filters swap in)."""
    measure = measure_or_404(code)
    default_cut = measure.cuts[0] if measure.cuts else None
    form = MeasureForm(request.GET, measure=measure, default_cut=default_cut)
    numerator_label, denominator_label = _labels(measure)
    context = {
        "nav": "insights",
        "measure": measure,
        "form": form,
        "period_choices": PERIOD_CHOICES,
        "current_cut": request.GET.get("cut") or default_cut or OVERALL,
        "filter_fields": [form[name] for name in measure_filters(measure)],
        "numerator_label": numerator_label,
        "denominator_label": denominator_label,
        "overview_url": overview_url(),
        "others": _others(measure, None),
    }
    if not form.is_valid():
        context["errors"] = form_errors(form)
        return render(request, TEMPLATE, context, status=400)
    selection = selection_from(form)
    try:
        rows, overall, chart = _compute(measure, selection)
    except ValidationFailed as refusal:
        context["errors"] = [refusal.message]
        return render(request, TEMPLATE, context, status=400)
    if request.GET.get("format") == "csv":
        return _table_csv(measure, selection, rows, numerator_label, denominator_label)
    cut = selection.cut
    context.update(
        selection=selection,
        unit=display_unit(measure, selection),
        current_cut=cut or OVERALL,
        cut_label=cut_label(measure, cut) if cut else "",
        rows=list(
            zip(
                rows,
                [row_label(row, cut) for row in rows],
                [drilldown_url(code, selection, row.key if cut else None) for row in rows],
                _bar_widths(rows),
                strict=True,
            )
        ),
        total=overall[0] if overall else None,
        total_url=drilldown_url(code, replace(selection, cut=None)),
        chart=chart,
        sorted_bars=cut in SORTED_CUTS,
        filter_chips=filter_chips(form, selection),
        csv_url=measure_url(code, selection, format="csv"),
        overview_url=overview_url(selection),
        others=_others(measure, selection),
    )
    template = TEMPLATE
    if request.htmx and request.htmx.target == "insights-body":
        template += "#body"
    response = render(request, template, context)
    # The same URL answers the whole page or its body: a cache must keep them apart (else
    # the back button may show a bare fragment).
    patch_vary_headers(response, ("HX-Request", "HX-Target"))
    return response


urlpatterns = [
    path("<slug:code>/", measure_page, name="measure"),
]
