"""The insights API: scopes, the catalogue, rows equal to the measures', validation as problem
details, the orders behind a number (cursor-paginated), alerts, and bounded queries."""

import datetime as dt
from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from insights.measures import MEASURES, get_measure
from insights.models import Alert
from oms.models import Scope
from tests.factories import make_api_client
from tests.insights.dataset import MARCH, build

pytestmark = pytest.mark.django_db

URL = "/api/v1/insights/measures/"
PERIOD = {"start": "2026-03-01", "end": "2026-03-31"}


def client_with(scopes: list[str]) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {make_api_client(scopes=scopes)[1]}")
    return client


@pytest.fixture
def reader() -> APIClient:
    return client_with([Scope.INSIGHTS_READ])


@pytest.fixture
def data():
    return build()


@pytest.mark.parametrize(
    "path",
    [URL, f"{URL}delay_rate/", f"{URL}delay_rate/orders/", "/api/v1/insights/alerts/"],
)
def test_every_endpoint_needs_a_token_with_insights_read(path):
    anonymous = APIClient().get(path)
    assert anonymous.status_code == 401
    assert anonymous["Content-Type"] == "application/problem+json"
    forbidden = client_with([Scope.ORDERS_READ]).get(path)
    assert forbidden.status_code == 403
    assert "insights:read" in forbidden.json()["detail"]


def test_the_catalogue_lists_every_measure_with_its_definition(reader):
    response = reader.get(URL)
    assert response.status_code == 200
    catalogue = {entry["code"]: entry for entry in response.json()}
    assert set(catalogue) == set(MEASURES)
    contacts = catalogue["contacts_per_100_orders"]
    assert contacts["unit"] == "per_100_orders"
    assert contacts["cuts"] == [
        "warehouse",
        "carrier",
        "region",
        "ship_date",
        "product",
        "channel",
        "reason",
    ]
    assert contacts["filters"][0] == "reason"
    assert "first shipment" in contacts["definition"]
    assert catalogue["cost_to_serve"]["filters"][:2] == ["currency", "component"]
    assert catalogue["repurchase_90d"]["higher_is_better"] is True


def test_rows_are_the_measures_rows(reader, data):
    response = reader.get(f"{URL}contacts_per_100_orders/", {**PERIOD, "cut": "warehouse"})
    assert response.status_code == 200
    body = response.json()
    assert body["code"] == "contacts_per_100_orders"
    assert (body["start"], body["end"], body["cut"]) == ("2026-03-01", "2026-03-31", "warehouse")
    assert body["rows"] == [
        {"key": "EAST", "label": "East DC", "numerator": "3", "denominator": "5", "value": "60.00"},
        {
            "key": "WEST",
            "label": "West DC",
            "numerator": "3",
            "denominator": "3",
            "value": "100.00",
        },
        {
            "key": "none",
            "label": "Not attributed",
            "numerator": "2",
            "denominator": "0",
            "value": None,
        },
    ]
    expected = get_measure("contacts_per_100_orders").compute(MARCH, cut="warehouse")
    assert [(r["key"], Decimal(r["numerator"]), r["value"]) for r in body["rows"]] == [
        (row.key, row.numerator, row.value and str(row.value)) for row in expected
    ]


def test_filters_are_query_parameters_and_the_default_currency_is_shown(reader, data, settings):
    settings.OMS_DEFAULT_CURRENCY = "USD"
    response = reader.get(
        f"{URL}cost_to_serve/", {**PERIOD, "cut": "component", "component": "reship"}
    )
    body = response.json()
    assert body["filters"] == {"component": "reship", "currency": "USD"}
    assert body["rows"] == [
        {
            "key": "reship",
            "label": "Replacements sent",
            "numerator": "10.00",
            "denominator": "7",
            "value": "1.43",
        },
    ]
    wismo = reader.get(f"{URL}contacts_per_100_orders/", {**PERIOD, "reason": "wismo"}).json()
    assert wismo["rows"][0]["numerator"] == "3"


def test_an_unknown_measure_is_a_404_problem(reader):
    response = reader.get(f"{URL}happiness/")
    assert response.status_code == 404
    assert response.json()["code"] == "measure_not_found"
    assert reader.get(f"{URL}happiness/orders/").status_code == 404


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"cut": "colour"}, "cut"),
        ({"cut": "experience"}, "cut"),
        ({"reason": "wismo"}, "reason"),  # delay_rate has no reason
        ({"start": "2026-03-32"}, "start"),
        ({"start": "2026-03-10", "end": "2026-03-01"}, "end"),
        ({"start": "2025-01-01", "end": "2026-03-01"}, "start"),
        ({"ship_date": "March"}, "ship_date"),
    ],
)
def test_a_bad_period_cut_or_filter_is_a_400_naming_the_parameter(reader, params, field):
    response = reader.get(f"{URL}delay_rate/", {**PERIOD, **params})
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert [error["field"] for error in response.json()["errors"]] == [field]


def test_bad_measure_specific_filters_are_400(reader):
    cost = reader.get(f"{URL}cost_to_serve/", {"currency": "XYZ"})
    assert (cost.status_code, cost.json()["errors"][0]["field"]) == (400, "currency")
    experience = reader.get(f"{URL}repurchase_90d/", {"experience": "happy"})
    assert (experience.status_code, experience.json()["errors"][0]["field"]) == (400, "experience")


def test_the_orders_behind_a_number_are_cursor_paginated_newest_first(reader, data):
    url = f"{URL}contacts_per_100_orders/orders/"
    response = reader.get(url, {**PERIOD, "limit": 3})
    assert response.status_code == 200
    page = response.json()
    assert [o["number"] for o in page["results"]] == ["O4", "O3", "O2"]
    assert set(page["results"][0]) == {
        "number",
        "status",
        "channel",
        "currency",
        "total",
        "created_at",
    }
    rest = reader.get(page["next"]).json()
    assert [o["number"] for o in rest["results"]] == ["O1"]
    assert rest["next"] is None
    west = reader.get(url, {**PERIOD, "cut": "warehouse", "key": "WEST"}).json()
    assert [o["number"] for o in west["results"]] == ["O4", "O3"]


def test_a_key_needs_a_cut_and_a_day_key_is_a_day(reader):
    response = reader.get(f"{URL}delay_rate/orders/", {**PERIOD, "key": "EAST"})
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "key"
    response = reader.get(f"{URL}delay_rate/orders/", {**PERIOD, "cut": "ship_date", "key": "x"})
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "key"


def make_alert(code: str, raised: dt.datetime, status: str = "open") -> Alert:
    return Alert.objects.create(
        subject_kind="carrier",
        subject_code=code,
        metric="contact_rate",
        status=status,
        raised_at=raised,
        last_checked_at=raised,
        window_start=raised - dt.timedelta(hours=6),
        window_end=raised,
        observed_count=14,
        expected_count=Decimal("4.2"),
        volume=120,
        observed_rate=Decimal("11.667"),
        baseline_rate=Decimal("3.500"),
        drivers=[{"reason": "wismo", "count": 9, "baseline_share": 0.3}],
        resolved_at=raised if status == "resolved" else None,
    )


def test_alerts_newest_first_with_a_status_filter(reader):
    make_alert("ups", dt.datetime(2026, 3, 2, tzinfo=dt.UTC), status="resolved")
    make_alert("fedex", dt.datetime(2026, 3, 5, tzinfo=dt.UTC))
    make_alert("usps", dt.datetime(2026, 3, 4, tzinfo=dt.UTC), status="acknowledged")
    listed = reader.get("/api/v1/insights/alerts/").json()["results"]
    assert [a["subject_code"] for a in listed] == ["fedex", "usps", "ups"]
    assert listed[0]["drivers"][0]["reason"] == "wismo"
    assert listed[0]["observed_rate"] == "11.667"
    active = reader.get("/api/v1/insights/alerts/", {"status": "active"}).json()["results"]
    assert [a["subject_code"] for a in active] == ["fedex", "usps"]
    paged = reader.get("/api/v1/insights/alerts/", {"limit": 2}).json()
    assert [a["subject_code"] for a in reader.get(paged["next"]).json()["results"]] == ["ups"]
    assert reader.get("/api/v1/insights/alerts/", {"status": "loud"}).status_code == 400


def test_api_queries_are_bounded_whatever_the_data_size(reader, django_assert_max_num_queries):
    build()
    urls = [
        (f"{URL}{code}/", {**PERIOD, "cut": "warehouse"})
        for code, measure in MEASURES.items()
        if "warehouse" in measure.cuts
    ] + [(f"{URL}delay_rate/orders/", PERIOD)]
    for url, params in urls:
        reader.get(url, params)  # warm: the token's last-used write
    for copy in (1, 2):
        build(copy)
        for url, params in urls:
            with django_assert_max_num_queries(8):
                assert reader.get(url, params).status_code == 200
