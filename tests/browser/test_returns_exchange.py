"""Issue 5's end-to-end test, in real browsers against a real server: a customer asks for an
exchange in the returns portal (order number and email, the one-time code from the email, one
line, a reason, another size), keeps the return's status page open, and a warehouse user (a
console login without admin access) receives and inspects the parcel on the scan station. The
customer's page follows every step live without being reloaded; the exchange order exists and
is linked to the return and the original order, whose console page shows the return."""

import re
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.contrib.auth.models import Group, User
from django.db import connection
from playwright.sync_api import expect

from orders.models import Order, Stock
from returns.models import ReturnRequest
from tests.returns.portal_helpers import delivered, sent_code, store_policy
from tests.support.money_actions import PASSWORD, ensure_roles

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
SCREENSHOTS = {
    "portal": "/tmp/returns-exchange-portal.png",
    "status": "/tmp/returns-exchange-status-before.png",
    "station": "/tmp/returns-exchange-station.png",
    "live": "/tmp/returns-exchange-status-after.png",
    "order": "/tmp/returns-exchange-console-order.png",
}
LIVE = 20_000  # ms: the server's stream polls the event log (no Redis, the make-run way)


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
    """A delivered, paid order of 2 x TEE-M (a tee sold in S, M and L, 10 of each at MAIN), a
    policy that offers exchanges and releases on receipt, and the warehouse's console login.
    Written before the browser starts (see the chromium fixture)."""
    ensure_roles()
    store_policy()
    order = delivered(email="ana@example.com", lines=(("TEE-M", 2),))
    wendy = User.objects.create_user("wendy", password=PASSWORD)  # not staff: console only
    wendy.groups.add(Group.objects.get(name="warehouse"))
    return {"base": web_server, "number": order.number, "order_id": order.pk}


def on_hand(sku: str) -> int:
    return Stock.objects.get(variant__sku=sku).on_hand


def test_an_exchange_asked_for_in_the_portal_is_received_by_the_warehouse_and_followed_live(
    shop, chromium
):
    base, number = shop["base"], shop["number"]
    stock_before = in_thread(lambda: (on_hand("TEE-M"), on_hand("TEE-L")))

    # --- The customer: find the order, prove it is theirs with the emailed code.
    customer = chromium.new_context(viewport={"width": 1100, "height": 1000}, locale="en-US")
    portal = customer.new_page()
    portal.goto(f"{base}/returns/")
    portal.get_by_label("Order number").fill(number)
    portal.get_by_label("Email used for the order").fill("ana@example.com")
    portal.get_by_role("button", name="Continue").click()
    expect(portal.get_by_role("heading", name="Check your email")).to_be_visible()
    code = in_thread(lambda: sent_code(Order.objects.get(number=number)))
    portal.get_by_label(re.compile("code", re.IGNORECASE)).fill(code)
    portal.get_by_role("button", name="Continue").click()
    portal.wait_for_url(f"{base}/returns/o/{number}/")

    # --- One tee, too small, exchanged for an L.
    line_id = in_thread(lambda: Order.objects.get(number=number).lines.get(sku="TEE-M").pk)
    portal.locator(f"select[name=quantity_{line_id}]").select_option("1")
    portal.locator(f"select[name=reason_{line_id}]").select_option("size_too_small")
    portal.locator("label.rp-tile").filter(has_text="Exchange").click()
    variant = portal.locator(f"select[name=variant_{line_id}]")
    expect(variant).to_be_visible()
    size_l = variant.locator("option", has_text=re.compile(r"^\s*L\b"))
    variant.select_option(size_l.get_attribute("value"))
    expect(portal.locator("#estimate")).to_contain_text("Replacement")  # the live estimate
    portal.screenshot(path=SCREENSHOTS["portal"], full_page=True)
    portal.get_by_role("button", name="Request the return").click()
    portal.wait_for_url(re.compile(r"/returns/r/R[0-9]+-[0-9]+/$"))
    rma = portal.url.rstrip("/").rsplit("/", 1)[1]
    badge = portal.locator("#return-status-badge")
    expect(badge).to_have_text("Approved")  # no review needed: approved at once, label ready
    expect(portal.locator("[data-live-indicator]")).to_have_attribute("data-state", "live")
    portal.screenshot(path=SCREENSHOTS["status"], full_page=True)
    portal.evaluate("window.__marker = 1")
    navigations = []
    portal.on(
        "framenavigated",
        lambda frame: navigations.append(frame.url) if not frame.parent_frame else None,
    )

    # --- The warehouse: sign in to the console, scan the label's RMA, receive, inspect.
    warehouse = chromium.new_context(viewport={"width": 1300, "height": 900}, locale="en-US")
    station = warehouse.new_page()
    station.goto(f"{base}/console/login/?next=/console/returns/receive/")
    station.fill("input[name=username]", "wendy")
    station.fill("input[name=password]", PASSWORD)
    station.get_by_role("button", name="Sign in").click()
    station.wait_for_url(f"{base}/console/returns/receive/")
    scan = station.locator("#scan-code")
    expect(scan).to_be_focused()
    station.keyboard.type(rma.lower())  # a scanner types; case does not matter
    station.keyboard.press("Enter")
    work = station.locator("#receive-station")
    expect(work).to_have_attribute("data-step", "receive")
    row = work.locator("tr[data-sku=TEE-M]")
    expect(row.locator("input[type=number]")).to_have_value("1")
    expect(work.locator("[data-action=receive]")).to_be_focused()
    station.keyboard.press("Enter")  # one unit, as new
    expect(work.locator("[data-result=ok]")).to_contain_text(f"{rma}: 1 unit received")
    expect(work).to_have_attribute("data-step", "inspect")

    # The customer's page catches up by itself: the exchange was settled on receipt.
    expect(badge).to_have_text("Exchanged", timeout=LIVE)
    expect(portal.locator(".rp-exchange-order")).to_contain_text("Your replacement is order")

    expect(work.locator("[data-action=inspect]")).to_be_focused()
    expect(row.locator("input[value=restock]")).to_be_checked()
    station.screenshot(path=SCREENSHOTS["station"], full_page=True)
    station.keyboard.press("Enter")
    done = work.locator("[data-result=ok]")
    expect(done).to_contain_text(f"{rma} inspected: 1 unit back in stock at MAIN")
    expect(done).to_contain_text("Exchange order #")
    expect(done).to_contain_text("Ready for the next parcel")
    expect(scan).to_be_focused()  # ready for the next scan

    expect(portal.locator(".rp-items")).to_contain_text("1 received")
    expect(portal.locator(".timeline")).to_contain_text("Return inspected", timeout=LIVE)
    assert portal.evaluate("window.__marker") == 1, "the customer's page was reloaded"
    assert navigations == []
    portal.screenshot(path=SCREENSHOTS["live"], full_page=True)

    # --- The exchange lands on the order: linked replacement, the return on the order page.
    def outcome():
        r = ReturnRequest.objects.select_related("exchange_order").get(rma=rma)
        exchange = r.exchange_order
        replacement_lines = list(exchange.lines.values_list("sku", "quantity"))
        return {
            "status": r.status,
            "inspected": r.inspected_at is not None,
            "via": r.requested_via,
            "exchange": exchange.number,
            "channel": exchange.channel,
            "original": exchange.original_order.number,
            "lines": replacement_lines,
            "returned": r.order.lines.get(sku="TEE-M").quantity_returned,
            "stock": (on_hand("TEE-M"), on_hand("TEE-L")),
        }

    result = in_thread(outcome)
    assert result["status"] == "exchanged" and result["inspected"] and result["via"] == "portal"
    assert result["channel"] == "exchange" and result["original"] == number
    assert result["lines"] == [("TEE-L", 1)]
    assert result["returned"] == 1
    # The returned M went back on the shelf; the L left it for the replacement (allocated,
    # not yet shipped: on hand unchanged).
    assert result["stock"] == (stock_before[0] + 1, stock_before[1])

    station.goto(f"{base}/console/orders/{number}/")
    returns_card = station.locator("#returns")
    expect(returns_card.locator(f"tr[data-rma='{rma}']")).to_contain_text("Exchanged")
    expect(returns_card.locator("[data-exchange-order]")).to_have_text(f"#{result['exchange']}")
    timeline = station.locator("#timeline")
    expect(timeline).to_contain_text(f"Return {rma} received")
    expect(timeline).to_contain_text(f"Exchange order placed for return {rma}")
    station.screenshot(path=SCREENSHOTS["order"], full_page=True)
    station.locator("[data-exchange-order]").click()
    station.wait_for_url(f"{base}/console/orders/{result['exchange']}/")
    expect(station.locator(".banner-info").filter(has_text="order for")).to_contain_text(
        f"#{number}"
    )
