"""The drill-down lists exactly the orders behind a number (Measure.orders_behind), newest first,
keyset-paginated, each linking to its console order page; the CSV downloads equal what the
pages show."""

import csv
import io
import re
from decimal import Decimal

import pytest
from django.urls import reverse

from insights.measures import MEASURES
from insights.views import csv as insights_csv
from insights.views import drilldown
from orders.models import Customer, Order
from tests.insights import dataset
from tests.insights.helpers import numbers, table
from tests.support.money_actions import staff

pytestmark = pytest.mark.django_db
MARCH = {"period": "custom", "start": "2026-03-01", "end": "2026-03-31"}


@pytest.fixture
def supervisor(client):
    dataset.build()
    client.force_login(staff("supervisor"))
    return client


def drill(client, code: str, **params):
    return client.get(reverse("insights:drilldown", args=[code]), {**MARCH, **params})


def listed(response) -> list[str]:
    return re.findall(r'<tr data-order="([^"]+)">', response.content.decode())


def read_csv(response) -> list[list[str]]:
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="')
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff"), "a byte order mark, so Excel reads UTF-8"
    return list(csv.reader(io.StringIO(body[1:])))


def behind(code: str, cut=None, key=None, **filters) -> list[str]:
    orders = MEASURES[code].orders_behind(dataset.MARCH, cut=cut, key=key, filters=filters)
    return numbers(orders)


def test_drilldown_lists_exactly_the_orders_behind_one_row(supervisor):
    response = drill(supervisor, "contacts_per_100_orders", cut="warehouse", key="EAST")
    assert response.status_code == 200
    assert sorted(listed(response)) == behind("contacts_per_100_orders", "warehouse", "EAST")
    assert sorted(listed(response)) == ["O1", "O2"]


@pytest.mark.parametrize(
    ("code", "cut", "key"),
    [
        ("on_time_rate", "carrier", "ups"),
        ("wismo_share", "warehouse", "WEST"),
        ("return_rate", "product", "mug"),
        ("fcr_rate", "reason", "wismo"),
        ("delay_rate", "ship_date", "2026-03-02"),
        ("cost_to_serve", "component", "goodwill_credit"),
    ],
)
def test_drilldown_agrees_with_the_measure_for_every_kind_of_cut(supervisor, code, cut, key):
    response = drill(supervisor, code, cut=cut, key=key)
    assert response.status_code == 200
    assert sorted(listed(response)) == behind(code, cut, key)


def test_drilldown_without_a_key_lists_the_orders_behind_the_whole_measure(supervisor):
    response = drill(supervisor, "csat")
    assert sorted(listed(response)) == behind("csat")


def test_drilldown_newest_first_each_order_linking_to_the_console_order_page(supervisor):
    response = drill(supervisor, "on_time_rate", cut="all")
    orders = listed(response)
    ids = dict(Order.objects.values_list("number", "pk"))
    assert orders == sorted(orders, key=lambda number: -ids[number])
    html = response.content.decode()
    for number in orders:
        assert f'href="{reverse("console:order-detail", args=[number])}"' in html


def test_drilldown_pages_walk_every_order_once(supervisor, monkeypatch):
    monkeypatch.setattr(drilldown, "PAGE_SIZE", 2)
    expected = behind("on_time_rate")
    seen, url = [], reverse("insights:drilldown", args=["on_time_rate"])
    params = {**MARCH, "cut": "all"}
    for _ in range(10):
        response = supervisor.get(url, params)
        seen += listed(response)
        older = re.search(r'href="([^"]+)" data-page="older"', response.content.decode())
        if not older:
            break
        params = dict(re.findall(r"(\w+)=([^&]+)", older.group(1).replace("&amp;", "&")))
    assert sorted(seen) == expected and len(seen) == len(set(seen)) > 2


def test_drilldown_shows_the_number_it_explains(supervisor):
    response = drill(supervisor, "contacts_per_100_orders", cut="warehouse", key="EAST")
    html = response.content.decode()
    assert re.search(r"data-value>\s*60\.0\s*<", html)
    assert "Orders behind Warehouse: East DC" in html


def test_drilldown_for_a_key_with_no_orders_says_what_to_do(supervisor):
    response = drill(supervisor, "on_time_rate", cut="carrier", key="dhl")
    assert response.status_code == 200 and listed(response) == []
    assert "No orders behind this number in this period." in response.content.decode()


def test_drilldown_refuses_a_key_that_is_not_a_day_on_the_ship_date_cut(supervisor):
    response = drill(supervisor, "on_time_rate", cut="ship_date", key="yesterday")
    assert response.status_code == 400
    assert "Use a day as YYYY-MM-DD." in response.content.decode()


def test_measure_csv_equals_the_table(supervisor):
    response = supervisor.get(
        reverse("insights:measure", args=["contacts_per_100_orders"]),
        {**MARCH, "cut": "warehouse", "format": "csv"},
    )
    rows = read_csv(response)
    assert rows[0] == ["Key", "Warehouse", "Numerator", "Denominator", "Contacts per 100 orders"]
    expected = table("contacts_per_100_orders", dataset.MARCH, "warehouse")
    labels = {"EAST": "East DC", "WEST": "West DC", "none": "Not attributed"}
    assert rows[1:] == [
        [key, labels[key], str(n), str(d), "" if v is None else str(v)]
        for key, (n, d, v) in expected.items()
    ]
    assert (
        'filename="contacts_per_100_orders_warehouse_2026-03-01_2026-03-31.csv"'
        in (response["Content-Disposition"])
    )


def test_measure_csv_keeps_the_filters(supervisor):
    response = supervisor.get(
        reverse("insights:measure", args=["cost_to_serve"]),
        {**MARCH, "cut": "component", "currency": "BRL", "format": "csv"},
    )
    rows = read_csv(response)
    expected = table("cost_to_serve", dataset.MARCH, "component", currency="BRL")
    assert [row[0] for row in rows[1:]] == list(expected)
    assert {row[0]: row[2] for row in rows[1:]}["goodwill_credit"] == "7.00"


def test_drilldown_csv_lists_the_same_orders_with_links(supervisor):
    response = drill(supervisor, "on_time_rate", cut="carrier", key="ups", format="csv")
    rows = read_csv(response)
    assert rows[0][0] == "Order" and rows[0][-1] == "Console link"
    assert sorted(row[0] for row in rows[1:]) == behind("on_time_rate", "carrier", "ups")
    first = rows[1]
    assert first[-1] == f"http://testserver/console/orders/{first[0]}/"
    assert re.fullmatch(r"\d+\.\d{2}", first[5]), "money in the currency's minor unit"


def test_csv_cells_a_spreadsheet_would_run_as_formulas_are_neutralised(supervisor):
    Customer.objects.filter(name="Bob").update(name='=HYPERLINK("http://evil","x")')
    response = drill(supervisor, "on_time_rate", cut="carrier", key="ups", format="csv")
    names = {row[6] for row in read_csv(response)[1:]}
    assert '\'=HYPERLINK("http://evil","x")' in names
    assert insights_csv.cell("-5.00") == "'-5.00"
    assert insights_csv.cell(Decimal("-5.00")) == "-5.00", "numbers stay numbers"
    assert insights_csv.cell("@SUM(A1)") == "'@SUM(A1)"
    assert insights_csv.cell("East DC") == "East DC"
