"""A supervisor reads the insights dashboard in a real browser: picks custom dates on the
overview, opens a measure, changes its cut (the chart is redrawn by Chart.js, no page load),
clicks a bar and then a number in the table, and lands each time on the orders behind it; an
alert raised meanwhile appears on the overview without a reload; the alert pages. Screenshots
of every page go to /tmp/insights-*.png."""

import datetime as dt
import re
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection, transaction
from django.utils import timezone
from playwright.sync_api import expect

from insights.measures import MEASURES
from insights.models import Alert
from insights.services.alerts import alert_payload
from notifications.services import outbox
from tests.insights import dataset
from tests.support.money_actions import PASSWORD, staff

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
MARCH = "period=custom&start=2026-03-01&end=2026-03-31"
SHOTS = "/tmp/insights-{}.png"


def in_thread(function):
    """ORM work off the test's thread (Playwright's sync API keeps an event loop there)."""

    def call():
        try:
            return function()
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(call).result(timeout=30)


@pytest.fixture
def shop(web_server) -> dict:
    """The hand-built March 2026 data set, an open alert and a supervisor; written before the
    browser starts (see the chromium fixture)."""
    staff("supervisor", "joao", can_sign_in=True)
    dataset.build()
    now = timezone.now()
    alert = Alert.objects.create(
        subject_kind="carrier",
        subject_code="ups",
        metric="contact_rate",
        raised_at=now - dt.timedelta(minutes=40),
        last_checked_at=now,
        window_start=now - dt.timedelta(hours=6),
        window_end=now,
        observed_count=14,
        expected_count="3.500",
        volume=90,
        observed_rate="15.556",
        baseline_rate="3.889",
        drivers=[
            {"reason": "wismo", "count": 9, "share": 0.6429, "baseline_share": 0.3},
            {"reason": "delay", "count": 5, "share": 0.3571, "baseline_share": 0.1},
        ],
    )
    return {"base": web_server, "alert": alert.pk}


def sign_in(browser, base: str, next_path: str):
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="en-US")
    page = context.new_page()
    page.goto(f"{base}/console/login/?next={next_path}")
    page.fill("input[name=username]", "joao")
    page.fill("input[name=password]", PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(re.escape(next_path) + "$"))
    return page


def chart_ready(page, selector: str = "#insights-body [data-chart] canvas") -> None:
    """A Chart.js chart is drawn on the canvas."""
    page.wait_for_function(
        "selector => { const c = document.querySelector(selector);"
        " return !!(c && window.Chart && Chart.getChart(c)); }",
        arg=selector,
    )


def orders_behind(code: str, cut: str, key: str) -> list[str]:
    def read():
        orders = MEASURES[code].orders_behind(dataset.MARCH, cut=cut, key=key)
        return sorted(orders.values_list("number", flat=True))

    return in_thread(read)


def listed(page) -> list[str]:
    return sorted(
        page.locator("tr[data-order]").evaluate_all("rows => rows.map(r => r.dataset.order)")
    )


def test_a_supervisor_cuts_a_measure_and_drills_down_from_a_bar_and_a_number(shop, chromium):
    base = shop["base"]
    page = sign_in(chromium, base, "/console/insights/")

    # The overview: an open alert on top, then custom dates picked in the period picker.
    expect(page.locator("#insights-alerts [data-alert]")).to_have_count(1)
    page.get_by_role("radio", name="Custom dates").check()
    page.locator("input[name=start]").fill("2026-03-01")
    page.locator("input[name=end]").fill("2026-03-31")
    page.get_by_role("button", name="Apply").click()
    page.wait_for_url(re.compile(r"start=2026-03-01"))
    tile = page.locator("[data-measure=contacts_per_100_orders] .tile-value")
    expect(tile).to_have_text("100.0")
    chart_ready(page, "#insights-body .chart-box canvas")
    page.screenshot(path=SHOTS.format("overview"), full_page=True)

    # A tile's definition opens from its "i" button, and its title leads to the measure page.
    card = page.locator("[data-measure=on_time_rate]")
    card.get_by_role("button", name="Definition").click()
    expect(card.locator(".tile-definition")).to_be_visible()
    card.locator(".tile-title").click()
    page.wait_for_url(re.compile(r"/console/insights/on_time_rate/\?"))
    chart_ready(page)
    expect(page.locator("[data-definition]")).to_contain_text("promised delivery date")

    # Changing the cut swaps the chart and the table in, without leaving the page.
    page.evaluate("window.notReloaded = true")
    page.locator(".cut-picker").get_by_role("radio", name="Carrier", exact=True).check()
    expect(page.locator("#insights-body")).to_have_attribute("data-cut", "carrier")
    page.wait_for_url(re.compile(r"cut=carrier"))
    chart_ready(page)
    assert page.evaluate("window.notReloaded") is True
    keys = page.locator("tr[data-key]").evaluate_all("rows => rows.map(r => r.dataset.key)")
    assert keys == ["fedex", "ups"]
    drawn = page.evaluate(
        "() => { const c = Chart.getChart(document.querySelector('#insights-body canvas'));"
        " return {type: c.config.type, labels: c.data.labels}; }"
    )
    assert drawn["type"] == "bar" and len(drawn["labels"]) == 2
    page.screenshot(path=SHOTS.format("measure"), full_page=True)

    # Click the "ups" bar: the orders behind it.
    box = page.locator("#insights-body canvas").bounding_box()
    point = page.evaluate(
        "() => { const c = Chart.getChart(document.querySelector('#insights-body canvas'));"
        " const bar = c.getDatasetMeta(0).data[c.data.labels.indexOf('ups')];"
        " return {x: bar.x - 4, y: bar.y}; }"
    )
    page.mouse.click(box["x"] + point["x"], box["y"] + point["y"])
    page.wait_for_url(re.compile(r"/console/insights/on_time_rate/orders/\?.*key=ups"))
    expect(page.locator("h1")).to_contain_text("Carrier")
    assert listed(page) == orders_behind("on_time_rate", "carrier", "ups")
    page.screenshot(path=SHOTS.format("drilldown"), full_page=True)

    # Back, and a number in the table (the "fedex" value) by keyboard.
    page.go_back()
    page.wait_for_url(re.compile(r"/console/insights/on_time_rate/\?.*cut=carrier"))
    link = page.locator("tr[data-key=fedex] a[data-cell=value]")
    link.focus()
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"key=fedex"))
    assert listed(page) == orders_behind("on_time_rate", "carrier", "fedex")
    # The breadcrumb leads back to the overview, over the same period.
    page.locator("[data-back-overview]").click()
    page.wait_for_url(re.compile(r"/console/insights/\?period=custom&start=2026-03-01"))


def test_alert_pages_and_the_notify_confirmation(shop, chromium):
    base, alert = shop["base"], shop["alert"]
    page = sign_in(chromium, base, "/console/insights/alerts/")
    expect(page.locator("[data-alert]")).to_have_count(1)
    page.screenshot(path=SHOTS.format("alerts"), full_page=True)
    page.locator(f"[data-alert='{alert}'] a").click()
    page.wait_for_url(re.compile(rf"/alerts/{alert}/$"))
    page.wait_for_function(
        "() => { const c = document.querySelector('[data-chart] canvas');"
        " return !!(c && Chart.getChart(c)); }"
    )
    expect(page.locator("[data-observed]")).to_have_text("15.6")
    page.screenshot(path=SHOTS.format("alert"), full_page=True)
    page.locator("[data-action=notify]").first.click()
    page.wait_for_url(re.compile(rf"/alerts/{alert}/notify/$"))
    expect(page.locator(".confirm-count")).to_contain_text("Nobody new to tell")
    page.screenshot(path=SHOTS.format("notify"), full_page=True)


def raise_alert_on(code: str) -> int:
    """An alert raised the way detection raises one: the row and its insights.alert_raised
    message in one transaction (the staff stream carries the message to the console)."""

    def write():
        now = timezone.now()
        with transaction.atomic():
            alert = Alert.objects.create(
                subject_kind="carrier",
                subject_code=code,
                metric="delay_rate",
                raised_at=now,
                last_checked_at=now,
                window_start=now - dt.timedelta(hours=6),
                window_end=now,
                observed_count=11,
                expected_count="2.000",
                volume=60,
                observed_rate="18.333",
                baseline_rate="3.333",
                drivers=[{"reason": "stalled", "count": 8, "share": 0.73, "baseline_share": 0.2}],
            )
            outbox.emit(
                "insights.alert_raised",
                aggregate_type="alert",
                aggregate_id=alert.pk,
                payload={"alert": alert_payload(alert)},
            )
        return alert.pk

    return in_thread(write)


def test_a_new_alert_appears_on_the_overview_without_a_reload(shop, chromium):
    page = sign_in(chromium, shop["base"], "/console/insights/")
    expect(page.locator("[data-live-indicator]")).to_have_attribute("data-state", "live")
    expect(page.locator("#insights-alerts [data-alert]")).to_have_count(1)
    page.evaluate("window.notReloaded = true")
    raised = raise_alert_on("fedex")
    expect(page.locator(f"#insights-alerts [data-alert='{raised}']")).to_be_visible(timeout=15000)
    expect(page.locator("#insights-alerts [data-alert]")).to_have_count(2)
    assert page.evaluate("window.notReloaded") is True
