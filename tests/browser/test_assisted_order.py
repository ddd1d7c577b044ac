"""Assisted order placement end to end in a real browser: an agent places an order for a customer
on the phone (finds them, adds two SKUs seeing their stock, picks shipping, sends a payment
link); the customer opens the emailed link in their own browser and pays with a test card; the
order is confirmed, and the agent's order page says so."""

import re
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group, User
from django.db import connection
from playwright.sync_api import expect

from notifications.models import OutboxMessage
from orders.models import Address, Order
from tests.factories import CustomerFactory, StockFactory, VariantFactory, WarehouseFactory
from tests.support.money_actions import ensure_roles

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
SCREENSHOTS = {
    "new": "/tmp/assisted-order-new.png",
    "pay": "/tmp/assisted-order-pay.png",
    "paid": "/tmp/assisted-order-paid.png",
}


def in_thread(function):
    """Run ORM work off the test's thread: Playwright's sync API keeps an event loop there, where
    Django refuses database calls (see the chromium fixture)."""

    def call():
        try:
            return function()
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(call).result(timeout=30)


@pytest.fixture
def store(web_server) -> dict:
    """An agent login, two SKUs in stock in two warehouses, and a customer with an address."""
    ensure_roles()  # an earlier transactional test may have flushed the seeded roles
    agent = User.objects.create_user("maria", password="agent-pass", is_staff=True)
    agent.groups.add(Group.objects.get(name="agent"))
    east = WarehouseFactory(code="EAST", name="East DC", priority=10)
    west = WarehouseFactory(code="WEST", name="West DC", priority=20)
    tee = VariantFactory(sku="TEE-NAVY-M", name="Classic tee / Navy / M", price=Decimal("25.00"))
    mug = VariantFactory(sku="MUG-STONE", name="Stoneware mug", price=Decimal("12.50"))
    StockFactory(variant=tee, warehouse=east, on_hand=6)
    StockFactory(variant=tee, warehouse=west, on_hand=3)
    StockFactory(variant=mug, warehouse=west, on_hand=4)
    customer = CustomerFactory(name="Ana Souza", email="ana.souza@example.com")
    Address.objects.create(
        customer=customer,
        name="Ana Souza",
        line1="1 Main St",
        city="Springfield",
        region="IL",
        postal_code="62701",
        country="US",
        is_default=True,
    )
    return {"base": web_server, "customer": customer}


def add_sku(page, query: str, sku: str, *, with_enter: bool = False) -> None:
    page.fill("#sku-search", query)
    row = page.locator(f"#sku-results tr[data-sku='{sku}']")
    expect(row).to_be_visible()
    expect(row.locator(".stock-chip").first).to_be_visible()  # live stock per warehouse
    if with_enter:
        page.press("#sku-search", "Enter")  # picks the first result
    else:
        row.get_by_role("button", name="Add").click()
    expect(page.locator(f"#order-lines tr[data-sku='{sku}']")).to_be_visible()
    expect(page.locator("#sku-search")).to_be_focused()  # ready for the next item


def test_an_agent_places_an_order_and_the_customer_pays_it_through_the_link(store, chromium):
    base = store["base"]
    agent = chromium.new_context(viewport={"width": 1400, "height": 1100}, locale="en-US")
    page = agent.new_page()
    page.goto(f"{base}/console/login/")
    page.fill("input[name=username]", "maria")
    page.fill("input[name=password]", "agent-pass")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"/console/$"))
    page.get_by_role("link", name="New order").click()
    expect(page.get_by_role("heading", name="New order")).to_be_visible()

    page.fill("#customer-search", "ana.souza")
    result = page.locator("#customer-results .lookup-item").filter(has_text="ana.souza@example.com")
    result.get_by_role("button", name="Select").click()
    expect(page.locator("#chosen-customer")).to_contain_text("Ana Souza")

    add_sku(page, "TEE-NAVY", "TEE-NAVY-M")
    expect(page.locator("#order-lines tr[data-sku='TEE-NAVY-M']")).to_contain_text("9 available")
    add_sku(page, "MUG", "MUG-STONE", with_enter=True)
    page.locator("#order-lines tr[data-sku='TEE-NAVY-M'] input[name=line_quantity]").fill("2")
    expect(page.locator("#line-amount-0")).to_have_text("$50.00")  # the line follows the quote
    page.locator("#shipping-card label.choice").filter(has_text="Express").click()
    page.locator("#payment-card label.choice").filter(has_text="Send a payment link").click()
    # 2 x 25.00 + 12.50 + 14.90 express
    expect(page.locator("#quote-total")).to_have_text("$77.40")
    page.screenshot(path=SCREENSHOTS["new"], full_page=True)
    page.locator("#place-order").click()
    page.wait_for_url(re.compile(r"/console/orders/\d+/$"))
    number = page.url.rstrip("/").rsplit("/", 1)[1]

    def the_link() -> tuple[str, str, str]:
        order = Order.objects.get(number=number)
        message = OutboxMessage.objects.get(
            event_type="order.payment_requested", aggregate_id=number
        )
        return order.status, order.channel, message.payload["event"]["payment_url"]

    status, channel, url = in_thread(the_link)
    assert (status, channel) == ("pending_payment", "csr")
    pay_path = "/pay/" + url.split("/pay/", 1)[1]

    customer = chromium.new_context(viewport={"width": 430, "height": 932}, locale="en-US")
    pay_page = customer.new_page()
    pay_page.goto(f"{base}{pay_path}")
    expect(pay_page.locator("#pay-total")).to_have_text("USD 77.40")
    expect(pay_page.get_by_text("Test mode")).to_be_visible()
    pay_page.fill("input[name=number]", "4242 4242 4242 4242")
    pay_page.fill("input[name=expiry]", "12/34")
    pay_page.fill("input[name=cvc]", "123")
    pay_page.fill("input[name=name]", "Ana Souza")
    assert pay_page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    pay_page.screenshot(path=SCREENSHOTS["pay"], full_page=True)
    pay_page.get_by_role("button", name=re.compile("^Pay ")).click()
    expect(
        pay_page.get_by_role("heading", name="Payment received — order confirmed")
    ).to_be_visible()
    pay_page.screenshot(path=SCREENSHOTS["paid"], full_page=True)

    def order_state() -> tuple[str, int]:
        order = Order.objects.get(number=number)
        return order.status, order.payments.filter(status="authorized").count()

    assert in_thread(order_state) == ("confirmed", 1)
    page.reload()
    expect(page.locator("main")).to_contain_text("Confirmed")
    customer.close()
    agent.close()
