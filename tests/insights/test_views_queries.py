"""Every insights page issues a bounded number of queries, the same with one copy of the data
set as with three: nothing is queried per row, per order or per alert."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from insights.measures import MEASURES
from insights.models import Alert
from tests.insights import dataset
from tests.support.money_actions import staff

pytestmark = pytest.mark.django_db
MARCH = {"period": "custom", "start": "2026-03-01", "end": "2026-03-31"}
# Upper bounds, all in: session, user, permissions, then the page's own work (the overview
# computes seven tiles, their trends and two breakdowns; a measure page at most three measures).
OVERVIEW_MAX = 50
MEASURE_MAX = 16
DRILLDOWN_MAX = 12
ALERT_PAGE_MAX = 12


def queries(client, url: str, params: dict | None = None) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, params or {})
        if hasattr(response, "streaming_content"):
            b"".join(response.streaming_content)
    assert response.status_code == 200, response.content[:300]
    return len(captured)


def grow(copies: int = 2) -> None:
    for copy in range(1, copies + 1):
        dataset.build(copy=copy)


def alert(code: str) -> Alert:
    now = timezone.now()
    return Alert.objects.create(
        subject_kind="carrier",
        subject_code=code,
        metric="contact_rate",
        raised_at=now,
        last_checked_at=now,
        window_start=now - dt.timedelta(hours=6),
        window_end=now,
        observed_count=14,
        expected_count=3,
        volume=90,
        observed_rate=15,
        baseline_rate=4,
        drivers=[{"reason": "wismo", "count": 9, "baseline_share": 0.3}],
    )


def in_flight_now(copy: int) -> None:
    """Orders with a parcel at ups right now (exposed to an alert on ups)."""
    d = dataset.Dataset(copy=copy)
    d.catalogue()
    now = timezone.now()
    for index, person in enumerate(("ana", "bob", "cai")):
        ref = f"N{index}"
        d.order(ref, person, now - dt.timedelta(days=2), dataset.US_NY, [("tee", 1)])
        d.shipment(f"S{ref}", ref, d.east, ["tee"], carrier="ups", shipped=now)


@pytest.fixture
def supervisor(client):
    client.force_login(staff("supervisor"))
    return client


def test_overview_queries_do_not_grow_with_the_data(supervisor, django_assert_max_num_queries):
    dataset.build()
    alert("ups")
    url = reverse("insights:overview")
    with django_assert_max_num_queries(OVERVIEW_MAX):
        small = queries(supervisor, url, MARCH)
    grow()
    alert("fedex")
    alert("dhl")
    with django_assert_max_num_queries(OVERVIEW_MAX):
        large = queries(supervisor, url, MARCH)
    assert large == small


@pytest.mark.parametrize("code", list(MEASURES))
def test_measure_page_queries_do_not_grow_with_the_data_on_any_cut(
    supervisor, code, django_assert_max_num_queries
):
    measure = MEASURES[code]
    dataset.build()
    cuts = ["all", *measure.cuts]
    url = reverse("insights:measure", args=[code])
    small = {}
    for cut in cuts:
        with django_assert_max_num_queries(MEASURE_MAX):
            small[cut] = queries(supervisor, url, {**MARCH, "cut": cut})
    grow()
    for cut in cuts:
        with django_assert_max_num_queries(MEASURE_MAX):
            assert queries(supervisor, url, {**MARCH, "cut": cut}) == small[cut], cut


def test_measure_csv_queries_do_not_grow_with_the_data(supervisor):
    dataset.build()
    url = reverse("insights:measure", args=["contacts_per_100_orders"])
    params = {**MARCH, "cut": "product", "format": "csv"}
    small = queries(supervisor, url, params)
    grow()
    assert queries(supervisor, url, params) == small


@pytest.mark.parametrize(
    ("code", "cut", "key"),
    [
        ("contacts_per_100_orders", "warehouse", "EAST"),
        ("on_time_rate", "all", ""),
        ("cost_to_serve", "component", "goodwill_credit"),
        ("return_rate", "product", "mug"),
    ],
)
def test_drilldown_queries_do_not_grow_with_the_data(
    supervisor, code, cut, key, django_assert_max_num_queries
):
    dataset.build()
    url = reverse("insights:drilldown", args=[code])
    params = {**MARCH, "cut": cut, "key": key}
    with django_assert_max_num_queries(DRILLDOWN_MAX):
        small = queries(supervisor, url, params)
    grow()
    with django_assert_max_num_queries(DRILLDOWN_MAX):
        assert queries(supervisor, url, params) == small


def test_alert_pages_queries_do_not_grow_with_alerts_or_exposed_orders(
    supervisor, django_assert_max_num_queries
):
    in_flight_now(0)
    watched = alert("ups")
    pages = [
        reverse("insights:alerts"),
        reverse("insights:alert-detail", args=[watched.pk]),
        reverse("insights:alert-notify", args=[watched.pk]),
    ]
    small = {}
    for url in pages:
        with django_assert_max_num_queries(ALERT_PAGE_MAX):
            small[url] = queries(supervisor, url)
    for copy in (1, 2, 3):
        in_flight_now(copy)
    for code in ("fedex", "dhl", "usps"):
        alert(code)
    for url in pages:
        with django_assert_max_num_queries(ALERT_PAGE_MAX):
            assert queries(supervisor, url) == small[url], url
