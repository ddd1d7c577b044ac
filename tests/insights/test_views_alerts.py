"""Alerts in the console: the list (open, acknowledged, recently resolved) and the overview's
live fragment, one alert's evidence and exposure, and notifying every exposed customer once."""

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from insights.models import Alert, AlertNotice
from notifications.models import OutboxMessage
from tests.insights import dataset
from tests.support.money_actions import staff

pytestmark = pytest.mark.django_db


def make_alert(code="ups", *, kind="carrier", status="open", metric="contact_rate", **fields):
    now = timezone.now()
    values = {
        "raised_at": now - dt.timedelta(hours=2),
        "last_checked_at": now,
        "window_start": now - dt.timedelta(hours=6),
        "window_end": now,
        "observed_count": 14,
        "expected_count": "3.500",
        "volume": 90,
        "observed_rate": "15.556",
        "baseline_rate": "3.889",
        "drivers": [
            {"reason": "wismo", "count": 9, "share": 0.6429, "baseline_share": 0.3, "excess": 4.8},
            {"reason": "delay", "count": 5, "share": 0.3571, "baseline_share": 0.1, "excess": 3.6},
        ],
        "exposed_orders": 3,
        "exposed_shipments": 3,
        **fields,
    }
    return Alert.objects.create(
        subject_kind=kind, subject_code=code, metric=metric, status=status, **values
    )


@pytest.fixture
def exposed():
    """Three open orders with a parcel in flight with ups right now, one with fedex, and one
    cancelled ups order (never exposed)."""
    d = dataset.Dataset(copy=0)
    d.catalogue()
    now = timezone.now()
    for ref, person, carrier in (
        ("X1", "ana", "ups"),
        ("X2", "bob", "ups"),
        ("X3", "cai", "ups"),
        ("X4", "dee", "fedex"),
    ):
        d.order(ref, person, now - dt.timedelta(days=2), dataset.US_NY, [("tee", 1)])
        d.shipment(
            f"S{ref}", ref, d.east, ["tee"], carrier=carrier, shipped=now - dt.timedelta(days=1)
        )
    d.order(
        "X5", "eve", now - dt.timedelta(days=2), dataset.US_NY, [("tee", 1)], status="cancelled"
    )
    d.shipment("SX5", "X5", d.east, ["tee"], carrier="ups", shipped=now - dt.timedelta(days=1))
    return d


@pytest.fixture
def supervisor(client):
    client.force_login(staff("supervisor"))
    return client


def test_alert_list_groups_open_acknowledged_and_recently_resolved(supervisor):
    opened = make_alert("ups")
    acknowledged = make_alert("EAST", kind="warehouse", status="acknowledged")
    now = timezone.now()
    resolved = make_alert("dhl", status="resolved", resolved_at=now - dt.timedelta(days=3))
    make_alert("fedex", status="resolved", resolved_at=now - dt.timedelta(days=45))
    html = supervisor.get(reverse("insights:alerts")).content.decode()
    sections = re.split(r'<section class="card"', html)[1:]
    ids = [re.findall(r'data-alert="(\d+)"', section) for section in sections]
    assert ids == [[str(opened.pk)], [str(acknowledged.pk)], [str(resolved.pk)]]


def test_alert_list_says_so_when_nothing_is_open(supervisor):
    html = supervisor.get(reverse("insights:alerts")).content.decode()
    assert "No open alerts." in html


def test_alert_row_names_the_subject_the_rate_against_its_baseline_and_the_exposure(supervisor):
    make_alert("ups")
    html = supervisor.get(reverse("insights:alerts")).content.decode()
    row = re.sub(r"\s+", " ", re.search(r'<li class="alert-row.*?</li>', html, re.S).group(0))
    assert "Carrier" in row and ">UPS<" in row
    assert "15.6" in row and "baseline 3.9" in row and "4.0×" in row
    assert "3 orders exposed" in row


def test_a_warehouse_alert_is_named_by_the_warehouse_name(supervisor, exposed):
    alert = make_alert("EAST", kind="warehouse")
    html = supervisor.get(reverse("insights:alert-detail", args=[alert.pk])).content.decode()
    assert "Warehouse East DC" in html and ">EAST<" in html


def test_the_lists_refresh_live_as_a_fragment(supervisor):
    make_alert("ups")
    html = supervisor.get(reverse("insights:alerts")).content.decode()
    assert "live[detail.type.indexOf('insights.alert')===0] from:body" in html
    fragment = supervisor.get(
        reverse("insights:alerts"), {"fragment": "rows"}, HTTP_HX_REQUEST="true"
    ).content.decode()
    assert fragment.lstrip().startswith('<div id="alert-lists"') and "<html" not in fragment


def test_overview_shows_open_alerts_on_top_and_refreshes_them_live(supervisor):
    alert = make_alert("ups")
    make_alert("dhl", status="resolved", resolved_at=timezone.now())
    html = supervisor.get(reverse("insights:overview")).content.decode()
    alerts = html.index('id="insights-alerts"')
    assert alerts < html.index('class="tile-grid"')
    assert re.findall(r'data-alert="(\d+)"', html) == [str(alert.pk)]
    fragment = supervisor.get(reverse("insights:overview"), {"fragment": "alerts"}).content
    assert fragment.decode().lstrip().startswith('<section id="insights-alerts"')
    assert b"tile-grid" not in fragment


def test_overview_without_alerts_says_all_is_well(supervisor):
    html = supervisor.get(reverse("insights:overview")).content.decode()
    assert "data-no-alerts" in html and "No open alerts" in html


def test_alert_page_shows_rate_baseline_drivers_and_the_exposed_orders(supervisor, exposed):
    alert = make_alert("ups")
    response = supervisor.get(reverse("insights:alert-detail", args=[alert.pk]))
    html = response.content.decode()
    assert re.search(r"data-observed>\s*15\.6\s*<", html)
    assert re.search(r"data-baseline>\s*3\.9\s*<", html)
    assert re.findall(r'data-driver="(\w+)"', html) == ["wismo", "delay"]
    assert "Where is my order" in html and "64.3" in html
    assert re.findall(r'<tr data-order="([^"]+)">', html) == ["X1", "X2", "X3"]
    assert f'href="{reverse("console:order-detail", args=["X1"])}"' in html
    assert "SX1" in html


def test_delay_alert_names_kinds_of_delay(supervisor):
    alert = make_alert(
        "ups",
        metric="delay_rate",
        drivers=[{"reason": "stalled", "count": 7, "share": 0.7, "baseline_share": 0.2}],
    )
    html = supervisor.get(reverse("insights:alert-detail", args=[alert.pk])).content.decode()
    assert "Stalled: no carrier scan for too long" in html and "Kinds of delay" in html


def test_notify_asks_first_and_says_how_many_will_be_told(supervisor, exposed):
    alert = make_alert("ups")
    response = supervisor.get(reverse("insights:alert-notify", args=[alert.pk]))
    assert 'data-pending="3"' in response.content.decode()
    assert "3 exposed orders: one message each to their customers" in response.content.decode()
    assert not AlertNotice.objects.exists()


def test_notify_tells_each_exposed_customer_once_even_when_clicked_twice(supervisor, exposed):
    alert = make_alert("ups")
    url = reverse("insights:alert-notify", args=[alert.pk])
    first = supervisor.post(url, follow=True)
    assert "3 messages sent: one to the customer of each exposed order." in first.content.decode()
    second = supervisor.post(url, follow=True)
    assert "Nobody new to tell" in second.content.decode()
    notices = AlertNotice.objects.filter(alert=alert)
    assert sorted(notices.values_list("order__number", flat=True)) == ["X1", "X2", "X3"]
    messages = OutboxMessage.objects.filter(event_type="order.disruption_notice")
    assert messages.count() == 3
    alert.refresh_from_db()
    assert alert.notified_count == 3
    page = supervisor.get(url).content.decode()
    assert 'data-pending="0"' in page and "already been told" in page
    detail = supervisor.get(reverse("insights:alert-detail", args=[alert.pk])).content.decode()
    assert 'data-notified="3"' in detail


def test_notify_on_a_resolved_alert_tells_nobody(supervisor, exposed):
    alert = make_alert("ups", status="resolved", resolved_at=timezone.now())
    confirm = supervisor.get(reverse("insights:alert-notify", args=[alert.pk])).content.decode()
    assert "data-confirm-notify" not in confirm
    response = supervisor.post(reverse("insights:alert-notify", args=[alert.pk]), follow=True)
    assert "nobody left to warn" in response.content.decode()
    assert not AlertNotice.objects.exists()


def test_an_unknown_alert_is_not_found(supervisor):
    assert supervisor.get(reverse("insights:alert-detail", args=[999])).status_code == 404
    assert supervisor.post(reverse("insights:alert-notify", args=[999])).status_code == 404
