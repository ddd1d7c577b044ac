"""The insights overview: the period, the open alerts (live), one tile per headline measure with
its definition and trend, and where contacts come from by carrier and warehouse."""

from dataclasses import dataclass

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path
from django.utils.cache import patch_vary_headers

from insights.measures import MEASURES, Measure, Row
from insights.views import alerts
from insights.views.charts import chart_data
from insights.views.links import drilldown_url, measure_url
from insights.views.measures import bars_of
from insights.views.params import (
    PERIOD_CHOICES,
    PeriodForm,
    Selection,
    cut_label,
    display_unit,
    form_errors,
    selection_from,
)
from support.access import console_view

TEMPLATE = "insights/overview.html"
HEADLINES = (
    "contacts_per_100_orders",
    "wismo_share",
    "fcr_rate",
    "csat",
    "on_time_rate",
    "return_rate",
    "cost_to_serve",
)
# Where contacts come from: the question the dashboard exists to answer first.
BREAKDOWNS = (
    ("contacts_per_100_shipments", "carrier"),
    ("contacts_per_100_shipments", "warehouse"),
)
TREND_CUT = "ship_date"


@dataclass(frozen=True)
class Tile:
    measure: Measure
    unit: str
    row: Row | None
    url: str
    drilldown_url: str
    trend: dict | None


@dataclass(frozen=True)
class Breakdown:
    measure: Measure
    cut: str
    cut_label: str
    rows: list[Row]
    url: str
    chart: dict


def _tile(measure: Measure, selection: Selection) -> Tile:
    rows = measure.compute(selection.period)
    trend = None
    if TREND_CUT in measure.cuts:
        points = measure.compute(selection.period, cut=TREND_CUT)
        if len(points) > 1:
            trend = chart_data(
                measure,
                points,
                kind="sparkline",
                unit=display_unit(measure),
                link=lambda row: drilldown_url(measure.code, selection, row.key, cut=TREND_CUT),
            )
    return Tile(
        measure=measure,
        unit=display_unit(measure),
        row=rows[0] if rows else None,
        url=measure_url(measure.code, selection),
        drilldown_url=drilldown_url(measure.code, selection),
        trend=trend,
    )


def _breakdown(measure: Measure, cut: str, selection: Selection) -> Breakdown:
    rows = measure.compute(selection.period, cut=cut)
    return Breakdown(
        measure=measure,
        cut=cut,
        cut_label=cut_label(measure, cut),
        rows=rows,
        url=measure_url(measure.code, selection, cut=cut),
        chart=chart_data(
            measure,
            bars_of(rows, cut),
            link=lambda row: drilldown_url(measure.code, selection, row.key, cut=cut),
        ),
    )


@console_view("view_insights")
def overview(request: HttpRequest) -> HttpResponse:
    """The overview; `?fragment=alerts` answers the open alerts alone (the live refresh)."""
    if request.GET.get("fragment") == "alerts":
        return render(request, TEMPLATE + "#alerts", alerts.overview_context())
    form = PeriodForm(request.GET)
    context = {
        "nav": "insights",
        "form": form,
        "period_choices": PERIOD_CHOICES,
        **alerts.overview_context(),
    }
    if not form.is_valid():
        context["errors"] = form_errors(form)
        return render(request, TEMPLATE, context, status=400)
    selection = selection_from(form)
    context.update(
        selection=selection,
        tiles=[_tile(MEASURES[code], selection) for code in HEADLINES if code in MEASURES],
        breakdowns=[
            _breakdown(MEASURES[code], cut, selection)
            for code, cut in BREAKDOWNS
            if code in MEASURES and cut in MEASURES[code].cuts
        ],
        others=[
            (measure, measure_url(code, selection))
            for code, measure in MEASURES.items()
            if code not in HEADLINES
        ],
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
    path("", overview, name="overview"),
]
