"""An agent's over-limit price adjustment, approved by a supervisor in a second browser: the
agent asks from the order page (preview, then send for approval; no money moves), the supervisor
approves it on the approval queue, and the agent's order page shows the approval, the
adjustment and the new total without being reloaded."""

import re
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection
from playwright.sync_api import expect

from orders.models import Payment
from support.models import ApprovalRequest
from tests.support.money_actions import PASSWORD, place, ship_everything, staff, stock_catalog

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
SCREENSHOTS = {
    "panel": "/tmp/approvals-adjust-panel.png",
    "queue": "/tmp/approvals-queue.png",
    "after": "/tmp/approvals-order-after.png",
}


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
    """An agent, a supervisor, and a shipped order: 2 x TEE-M + 5.00 shipping = $55.00,
    captured. Written before the browser starts (see the chromium fixture)."""
    staff("agent", "maria", can_sign_in=True)
    staff("supervisor", "joao", can_sign_in=True)
    stock_catalog()
    order = ship_everything(place())
    assert Payment.objects.get(order=order).amount_captured == 55
    return {"base": web_server, "number": order.number}


def sign_in(browser, base: str, username: str, next_path: str):
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="en-US")
    page = context.new_page()
    page.goto(f"{base}/console/login/?next={next_path}")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(re.escape(next_path) + "$"))
    expect(page.locator("[data-live-indicator]")).to_have_attribute("data-state", "live")
    return page


def test_an_over_limit_adjustment_is_approved_in_another_browser_and_the_agent_sees_it_live(
    shop, chromium
):
    base, number = shop["base"], shop["number"]
    order_path = f"/console/orders/{number}/"

    agent = sign_in(chromium, base, "maria", order_path)
    expect(agent.locator("#order-total")).to_have_text("$55.00")
    agent.locator("[data-action=adjust]").click()
    panel = agent.locator("#panel [data-panel=adjust]")
    expect(panel).to_be_visible()
    panel.get_by_label("Adjust", exact=True).select_option("order")
    panel.get_by_label("Amount", exact=True).fill("40")
    panel.get_by_label("Reason code", exact=True).select_option("late_delivery")
    panel.get_by_label("Note", exact=True).fill("Parcel arrived a week late; customer kept it")
    panel.get_by_role("button", name="Preview").click()
    expect(panel.locator("[data-preview]")).to_contain_text("Needs a supervisor's approval")
    expect(panel.locator("[data-authority]")).to_contain_text("Your limit is 25.00 USD per action")
    expect(panel.locator("[data-new-total]")).to_have_text("$15.00")
    agent.screenshot(path=SCREENSHOTS["panel"], full_page=True)
    panel.get_by_role("button", name="Send for approval").click()
    expect(agent.locator("#panel")).to_be_empty()
    expect(agent.locator(".banner").filter(has_text="Waiting for approval")).to_be_visible()
    expect(agent.locator("#order-total")).to_have_text("$55.00")  # no money moved
    agent.evaluate("window.__marker = 1")
    navigations = []
    agent.on(
        "framenavigated",
        lambda frame: navigations.append(frame.url) if not frame.parent_frame else None,
    )

    supervisor = sign_in(chromium, base, "joao", "/console/approvals/")
    row = supervisor.locator("tr[data-request-id]").filter(has_text=f"#{number}")
    expect(row).to_contain_text("$40.00")
    expect(row).to_contain_text("maria")
    supervisor.screenshot(path=SCREENSHOTS["queue"], full_page=True)
    row.locator("textarea[name=note]").fill("OK: a week late is on us")
    row.get_by_role("button", name="Approve").click()
    decided = supervisor.locator(".decided-table tr[data-status=approved]").filter(
        has_text=f"#{number}"
    )
    expect(decided).to_be_visible()

    # The agent's page catches up by itself: total, adjustment, timeline, no pending banner.
    expect(agent.locator("#order-total")).to_have_text("$15.00", timeout=15_000)
    expect(agent.locator("#adjustments")).to_contain_text("approved by joao")
    expect(agent.locator("#timeline")).to_contain_text("Approval decided")
    expect(agent.locator(".banner").filter(has_text="Waiting for approval")).to_have_count(0)
    assert agent.evaluate("window.__marker") == 1, "the agent's page was reloaded"
    assert navigations == []
    agent.screenshot(path=SCREENSHOTS["after"], full_page=True)

    def outcome():
        request = ApprovalRequest.objects.get()
        payment = Payment.objects.get(order__number=number)
        return request.status, request.decided_by.username, payment.amount_refunded

    assert in_thread(outcome) == ("approved", "joao", 40)
