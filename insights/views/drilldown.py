"""The orders behind a number: one row of a measure (its cut and key) or all of it, newest
first, keyset-paginated on the id (no OFFSET, no total count), each a link to the console's
order page; the same list as CSV (`?format=csv`)."""

from dataclasses import replace

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path, reverse
from django.utils.translation import gettext as _

from insights.measures import Measure
from insights.views.csv import csv_response
from insights.views.links import drilldown_url, measure_url, overview_url
from insights.views.measures import measure_or_404
from insights.views.params import (
    MeasureForm,
    Selection,
    cut_label,
    display_unit,
    filter_chips,
    form_errors,
    selection_from,
)
from oms.exceptions import ValidationFailed
from orders.money import quantize
from support.access import console_view

TEMPLATE = "insights/drilldown.html"
PAGE_SIZE = 50
KEY_MAX = 200
ORDER_FIELDS = (
    "id",
    "number",
    "status",
    "channel",
    "currency",
    "total",
    "created_at",
    "customer__id",
    "customer__name",
    "customer__email",
)


class DrilldownForm(MeasureForm):
    key = forms.CharField(required=False, max_length=KEY_MAX)
    before = forms.IntegerField(required=False, min_value=1)


def _orders(measure: Measure, selection: Selection, key: str | None):
    queryset = measure.orders_behind(
        selection.period, cut=selection.cut, key=key, filters=selection.filters
    )
    return queryset.select_related("customer").only(*ORDER_FIELDS).order_by("-id")


def _csv(request: HttpRequest, measure: Measure, selection: Selection, key: str | None):
    orders = _orders(measure, selection, key).iterator(chunk_size=2000)
    base = request.build_absolute_uri("/")[:-1]
    header = [
        _("Order"),
        _("Placed"),
        _("Status"),
        _("Sales channel"),
        _("Currency"),
        _("Total"),
        _("Customer"),
        _("Email"),
        _("Console link"),
    ]
    rows = (
        [
            order.number,
            order.created_at.isoformat(),
            order.status,
            order.channel,
            order.currency,
            quantize(order.total, order.currency),
            order.customer.name,
            order.customer.email,
            base + reverse("console:order-detail", args=[order.number]),
        ]
        for order in orders
    )
    parts = [measure.code, selection.cut or "overall", key or "all"]
    parts += [selection.first_day.isoformat(), selection.last_day.isoformat()]
    return csv_response("_".join(parts) + "_orders.csv", header, rows)


@console_view("view_insights")
def drilldown(request: HttpRequest, code: str) -> HttpResponse:
    """The orders behind `?cut=&key=` (or behind the whole measure without a key)."""
    measure = measure_or_404(code)
    form = DrilldownForm(request.GET, measure=measure)
    context = {
        "nav": "insights",
        "measure": measure,
        "overview_url": overview_url(),
        "measure_url": reverse("insights:measure", args=[code]),
    }
    if not form.is_valid():
        context["errors"] = form_errors(form)
        return render(request, TEMPLATE, context, status=400)
    selection = selection_from(form)
    # A key means something only within a cut; without one, the orders behind the whole measure.
    key = (form.cleaned_data["key"] or None) if selection.cut else None
    try:
        if request.GET.get("format") == "csv":
            return _csv(request, measure, selection, key)
        page = _page(measure, selection, key, form.cleaned_data.get("before"))
    except ValidationFailed as refusal:
        context["errors"] = [refusal.message]
        return render(request, TEMPLATE, context, status=400)
    before = form.cleaned_data.get("before")
    context.update(
        page,
        selection=selection,
        unit=display_unit(measure, selection),
        key=key,
        cut_label=cut_label(measure, selection.cut) if selection.cut else "",
        filter_chips=filter_chips(form, selection),
        before=before,
        next_url=drilldown_url(code, selection, key, before=page["next_before"])
        if page["next_before"]
        else "",
        first_url=drilldown_url(code, selection, key) if before else "",
        csv_url=drilldown_url(code, selection, key, format="csv"),
        measure_url=measure_url(code, selection),
        all_url=drilldown_url(code, replace(selection, cut=None)) if key else "",
        overview_url=overview_url(selection),
    )
    return render(request, TEMPLATE, context)


def _page(measure: Measure, selection: Selection, key: str | None, before: int | None) -> dict:
    """The number (its row) and one page of the orders behind it."""
    if key:
        rows = measure.compute(selection.period, cut=selection.cut, filters=selection.filters)
        row = next((r for r in rows if r.key == key), None)
    else:
        rows = measure.compute(selection.period, filters=selection.filters)
        row = rows[0] if rows else None
    queryset = _orders(measure, selection, key)
    if before:
        queryset = queryset.filter(id__lt=before)
    orders = list(queryset[: PAGE_SIZE + 1])
    # What customers said behind the number (measures built on answers and reviews).
    filters = {**selection.filters, selection.cut: key} if key else dict(selection.filters)
    comments = measure.comments([o.pk for o in orders[:PAGE_SIZE]], selection.period, filters)
    for order in orders:
        order.insight_comments = comments.get(order.pk, [])
    return {
        "row": row,
        "orders": orders[:PAGE_SIZE],
        "next_before": orders[PAGE_SIZE - 1].pk if len(orders) > PAGE_SIZE else None,
    }


urlpatterns = [
    path("<slug:code>/orders/", drilldown, name="drilldown"),
]
