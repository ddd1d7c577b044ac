"""The console in a real browser: an agent presses "/", types part of a customer's email, picks
the order from the dropdown with the keyboard, opens "Cancel" on one line, gives a reason, and
sees the timeline gain "Lines cancelled" without the page reloading."""

import pytest
from django.contrib.auth.models import Group, User
from playwright.sync_api import expect

from orders import services
from tests.factories import StockFactory, VariantFactory, WarehouseFactory
from tests.orders.builders import ACTOR, order_input

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
SCREENSHOT = "/tmp/console-order-after-cancel.png"
PASSWORD = "agent-browser-pw"


@pytest.fixture
def two_line_order(web_server) -> dict:
    """An agent login and a confirmed two-line order: written before the browser starts (see
    the chromium fixture)."""
    agent = User.objects.create_user("agent-browser", password=PASSWORD, is_staff=True)
    agent.groups.add(Group.objects.get(name="agent"))
    warehouse = WarehouseFactory(code="EAST")
    for sku in ("TEE-M", "MUG-1"):
        StockFactory(variant=VariantFactory(sku=sku), warehouse=warehouse, on_hand=20)
    customer = services.CustomerInput(email="ana.browser@example.com", name="Ana Browser")
    order = services.place_order(
        data=order_input([("TEE-M", 2), ("MUG-1", 3)], customer=customer), actor=ACTOR
    )
    mug = order.lines.get(sku="MUG-1")
    return {"number": order.number, "mug_line": mug.pk, "base": web_server}


def test_agent_finds_an_order_by_email_and_cancels_a_line_live(two_line_order, chromium):
    base, number = two_line_order["base"], two_line_order["number"]
    page = chromium.new_page(viewport={"width": 1366, "height": 900}, locale="en-US")
    page.goto(f"{base}/console/login/")
    page.fill("#id_username", "agent-browser")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    expect(page.locator("h1")).to_have_text("Queues")

    # "/" focuses the search box; results come as the agent types.
    page.locator("body").press("/")
    search = page.locator("#global-search-input")
    expect(search).to_be_focused()
    page.keyboard.type("ana.brow", delay=30)
    first = page.locator("#search-results a.result").first
    expect(first).to_have_attribute("data-number", number)
    expect(page.locator("#search-results")).to_contain_text("Ana Browser")

    # The keyboard picks the order.
    page.keyboard.press("ArrowDown")
    expect(first).to_be_focused()
    page.keyboard.press("Enter")
    page.wait_for_url(f"{base}/console/orders/{number}/")
    expect(page.locator("#order-status")).to_contain_text("Confirmed")
    expect(page.locator("[data-live-indicator]")).to_have_attribute("data-state", "live")

    navigations = []
    page.on(
        "framenavigated",
        lambda frame: navigations.append(frame.url) if not frame.parent_frame else None,
    )
    page.evaluate("window.__marker = 1")

    # Cancel the mug line from its own button: the side panel opens with it chosen.
    page.locator(f"#line-{two_line_order['mug_line']} [data-action=cancel-line]").click()
    panel = page.locator("#panel .panel-inner")
    expect(panel).to_be_visible()
    expect(panel.locator(f"input[name=units_{two_line_order['mug_line']}]")).to_have_value("3")
    panel.locator("textarea[name=reason]").fill("Customer no longer wants the mugs")
    panel.get_by_role("button", name="Cancel these units").click()

    # The panel closes and the page's body refreshes itself: the timeline gains the entry.
    expect(page.locator("#panel")).to_be_empty()
    latest = page.locator("#timeline .order-timeline li").first
    expect(latest).to_contain_text("Lines cancelled", timeout=10_000)
    expect(latest).to_contain_text("Customer no longer wants the mugs")
    expect(latest).to_contain_text("agent-browser")
    mug_row = page.locator(f"#line-{two_line_order['mug_line']}")
    expect(mug_row).to_have_class("is-cancelled")
    assert page.evaluate("window.__marker") == 1, "the page was reloaded"
    assert navigations == []
    page.screenshot(path=SCREENSHOT, full_page=True)
