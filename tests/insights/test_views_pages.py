"""The insights pages render the measures of a small hand-built data set (tests/insights/
dataset.py, March 2026): the overview's tiles and breakdowns, a page per measure with its cuts,
filters, chart and table, and bad input answered with what was wrong."""

import json
import re
from decimal import Decimal
from html import unescape

import pytest
from django.urls import reverse
from django.utils import translation

from insights.measures import MEASURES
from insights.templatetags.insights import format_value
from insights.views import measures as measure_views
from tests.insights import dataset
from tests.insights.helpers import table
from tests.support.money_actions import staff

pytestmark = pytest.mark.django_db
MARCH = {"period": "custom", "start": "2026-03-01", "end": "2026-03-31"}


@pytest.fixture
def supervisor(client):
    dataset.build()
    client.force_login(staff("supervisor"))
    return client


def text(response) -> str:
    """The page's visible text, tags dropped and spaces collapsed."""
    body = re.sub(r"<script.*?</script>|<[^>]+>", " ", response.content.decode(), flags=re.S)
    return re.sub(r"\s+", " ", unescape(body))


def shown(value, unit: str) -> str:
    """A value as text() reads it (no-break spaces are spaces there)."""
    return format_value(value, unit).replace("\u00a0", " ")


def charts(response) -> list[dict]:
    """The data of every chart on the page (the JSON next to each canvas)."""
    scripts = re.findall(
        r'<script type="application/json">(.*?)</script>', response.content.decode(), re.S
    )
    return [json.loads(script) for script in scripts]


def measure_url(code: str, **params) -> str:
    return (
        reverse("insights:measure", args=[code])
        + "?"
        + "&".join(f"{k}={v}" for k, v in {**MARCH, **params}.items())
    )


def test_overview_shows_a_tile_per_headline_measure_with_its_value_and_definition(supervisor):
    response = supervisor.get(reverse("insights:overview"), MARCH)
    assert response.status_code == 200
    page = text(response)
    for code in ("contacts_per_100_orders", "wismo_share", "fcr_rate", "on_time_rate"):
        measure = MEASURES[code]
        overall = table(code, dataset.MARCH)["all"]
        assert f'data-measure="{code}"' in response.content.decode()
        assert str(measure.title) in page
        assert shown(overall[2], measure.unit) in page
        assert str(measure.definition)[:60] in page
    # contacts per 100 orders: 8 contacts over the 8 orders placed in March
    assert table("contacts_per_100_orders", dataset.MARCH)["all"][2] == 100


def test_overview_tiles_link_to_their_page_and_to_the_orders_behind_them(supervisor):
    response = supervisor.get(reverse("insights:overview"), MARCH)
    html = response.content.decode()
    page_link = reverse("insights:measure", args=["on_time_rate"])
    drill_link = reverse("insights:drilldown", args=["on_time_rate"])
    assert f'href="{page_link}?period=custom&amp;start=2026-03-01&amp;end=2026-03-31' in html
    assert f'href="{drill_link}?period=custom&amp;start=2026-03-01&amp;end=2026-03-31' in html


def test_overview_charts_contacts_by_carrier_and_warehouse_each_bar_linking_to_its_orders(
    supervisor,
):
    response = supervisor.get(reverse("insights:overview"), MARCH)
    bars = [chart for chart in charts(response) if chart["kind"] == "bar"]
    expected = table("contacts_per_100_shipments", dataset.MARCH, "carrier")
    by_carrier = bars[0]
    assert len(by_carrier["labels"]) == len(expected)
    assert all("cut=carrier" in url and "key=" in url for url in by_carrier["urls"])
    trends = [chart for chart in charts(response) if chart["kind"] == "sparkline"]
    assert trends and all(len(chart["values"]) == len(chart["urls"]) for chart in trends)


def test_overview_defaults_to_the_last_30_days(supervisor):
    response = supervisor.get(reverse("insights:overview"))
    assert response.status_code == 200
    assert re.search(r'value="30" checked', response.content.decode())


def test_overview_refuses_a_custom_period_that_ends_before_it_starts(supervisor):
    response = supervisor.get(
        reverse("insights:overview"),
        {"period": "custom", "start": "2026-03-10", "end": "2026-03-01"},
    )
    assert response.status_code == 400
    assert "The period starts after it ends." in text(response)


def test_overview_refuses_a_period_longer_than_a_year_or_without_dates(supervisor):
    too_long = {"period": "custom", "start": "2024-01-01", "end": "2026-03-01"}
    assert supervisor.get(reverse("insights:overview"), too_long).status_code == 400
    no_dates = {"period": "custom"}
    response = supervisor.get(reverse("insights:overview"), no_dates)
    assert response.status_code == 400 and "Give both dates" in text(response)
    assert supervisor.get(reverse("insights:overview"), {"period": "12"}).status_code == 400


def test_measure_page_opens_on_its_first_cut_with_one_row_per_key(supervisor):
    response = supervisor.get(measure_url("contacts_per_100_orders").split("&cut")[0])
    assert response.status_code == 200
    html = response.content.decode()
    expected = table("contacts_per_100_orders", dataset.MARCH, "warehouse")
    rows = re.findall(r'<tr data-key="([^"]+)">', html)
    assert rows == list(expected)
    assert 'name="cut" value="warehouse" checked' in html


def test_measure_table_shows_numerator_denominator_and_value_each_linking_to_the_drilldown(
    supervisor,
):
    response = supervisor.get(measure_url("contacts_per_100_orders", cut="warehouse"))
    html = response.content.decode()
    east = re.search(r'<tr data-key="EAST">(.*?)</tr>', html, re.S).group(1)
    numbers = re.findall(r'<a href="([^"]+)" data-cell="(\w+)">([^<]+)</a>', east)
    assert [(cell, value) for _, cell, value in numbers] == [
        ("numerator", "3"),
        ("denominator", "5"),
        ("value", "60.0"),
    ]
    for url, _, _ in numbers:
        assert unescape(url).startswith(
            reverse("insights:drilldown", args=["contacts_per_100_orders"])
        )
        assert "cut=warehouse" in unescape(url) and "key=EAST" in unescape(url)


def test_measure_chart_holds_the_same_numbers_as_the_table_highest_first(supervisor):
    response = supervisor.get(measure_url("on_time_rate", cut="carrier"))
    (chart,) = charts(response)
    expected = table("on_time_rate", dataset.MARCH, "carrier")
    assert chart["kind"] == "bar"
    keys = [url.split("key=")[1].split("&")[0] for url in chart["urls"]]
    drawn = dict(zip(keys, chart["values"], strict=True))
    assert drawn == {key: float(value) for key, (_, _, value) in expected.items()}
    assert chart["values"] == sorted(chart["values"], reverse=True)


def test_a_bar_chart_draws_at_most_twenty_bars_and_says_so(supervisor, monkeypatch):
    monkeypatch.setattr(measure_views, "CHART_BARS", 1)
    response = supervisor.get(measure_url("on_time_rate", cut="carrier"))
    (chart,) = charts(response)
    assert len(chart["labels"]) == 1
    assert "The highest 1 of 2; the table lists every one." in text(response)
    assert len(re.findall(r"<tr data-key=", response.content.decode())) == 2


def test_measure_over_ship_dates_is_a_line_chart(supervisor):
    response = supervisor.get(measure_url("on_time_rate", cut="ship_date"))
    (chart,) = charts(response)
    assert chart["kind"] == "line"
    assert chart["labels"] == sorted(chart["labels"])


def test_measure_overall_shows_the_single_row_and_a_trend_over_ship_dates(supervisor):
    response = supervisor.get(measure_url("fcr_rate", cut="all"))
    assert response.status_code == 200
    html = response.content.decode()
    assert re.findall(r'<tr data-key="([^"]+)">', html) == ["all"]
    (chart,) = charts(response)
    assert chart["kind"] == "line"


def test_measure_page_offers_only_the_cuts_the_measure_supports(supervisor):
    html = supervisor.get(measure_url("on_time_rate")).content.decode()
    offered = re.findall(r'name="cut" value="(\w+)"', html)
    assert offered == ["all", *MEASURES["on_time_rate"].cuts]
    assert "reason" not in offered


def test_measure_page_refuses_a_cut_it_does_not_support(supervisor):
    response = supervisor.get(measure_url("on_time_rate", cut="reason"))
    assert response.status_code == 400
    assert "Cut by" in text(response)


def test_measure_filter_by_reason_narrows_the_numbers(supervisor):
    response = supervisor.get(measure_url("contacts_per_100_orders", cut="all", reason="wismo"))
    assert response.status_code == 200
    expected = table("contacts_per_100_orders", dataset.MARCH, reason="wismo")["all"]
    assert f">{format_value(expected[2], 'per_100_orders')}<" in response.content.decode()
    assert "Contact reason: Where is my order" in text(response)


def test_measure_filters_are_offered_only_where_relevant(supervisor):
    on_time = supervisor.get(measure_url("on_time_rate")).content.decode()
    contacts = supervisor.get(measure_url("contacts_per_100_orders")).content.decode()
    assert 'name="reason"' not in on_time and 'name="channel"' in on_time
    assert 'name="reason"' in contacts


def test_cost_to_serve_is_shown_in_the_store_currency_or_the_one_chosen(supervisor):
    usd = supervisor.get(measure_url("cost_to_serve", cut="all"))
    brl = supervisor.get(measure_url("cost_to_serve", cut="all", currency="BRL"))
    assert usd.status_code == brl.status_code == 200
    assert " USD" in text(usd) and " BRL" in text(brl)
    assert "Currency: BRL" in text(brl)


def test_an_unknown_measure_is_not_found(supervisor):
    assert supervisor.get(reverse("insights:measure", args=["nope"])).status_code == 404
    assert supervisor.get(reverse("insights:drilldown", args=["nope"])).status_code == 404


def test_filters_swap_only_the_body_in_for_htmx(supervisor):
    response = supervisor.get(
        measure_url("on_time_rate", cut="warehouse"),
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET="insights-body",
    )
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="insights-body"')
    assert "<form" not in html


def test_every_page_links_back_to_the_overview(supervisor):
    overview = reverse("insights:overview")
    for url in (
        measure_url("csat"),
        reverse("insights:drilldown", args=["csat"]) + "?period=30",
        reverse("insights:alerts"),
    ):
        assert f'href="{overview}' in supervisor.get(url).content.decode(), url


def test_an_empty_period_says_what_to_do(supervisor):
    empty = {"period": "custom", "start": "2025-01-01", "end": "2025-01-31"}
    response = supervisor.get(reverse("insights:measure", args=["on_time_rate"]), empty)
    assert response.status_code == 200
    assert "Nothing to measure in this period. Pick a longer period" in text(response)


def test_values_are_rounded_half_up_and_written_as_the_reader_writes_numbers():
    assert format_value(Decimal("15.556"), "per_100_shipments") == "15.6"
    assert format_value(Decimal("0.05"), "percent") == "0.1\u00a0%"
    assert format_value(Decimal("3.755"), "score") == "3.76\u00a0/\u00a05"
    assert format_value(Decimal("1234.5"), "money_per_order:BRL") == "1,234.50\u00a0BRL"
    assert format_value(None, "percent") == "—"
    with translation.override("pt-br"):
        assert format_value(Decimal("1234.5"), "money_per_order:BRL") == "1.234,50\u00a0BRL"
        assert format_value(Decimal("37.5"), "percent") == "37,5\u00a0%"
