"""The customer tracking page in a real browser: it updates by itself when the carrier posts a
scan to the API; and it speaks the language the order was placed in, on a phone too."""

import json
import urllib.request
import uuid
from datetime import UTC, datetime

import pytest
from playwright.sync_api import expect

from orders import links
from orders.models import Order
from tests.factories import make_api_client
from tests.orders.builders import ACTOR, order_input, ship, split_catalog

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
SCREENSHOT = "/tmp/track.png"
MOBILE_SCREENSHOT = "/tmp/track-mobile-pt-br.png"


def create_shipped_order(base_url: str, *, locale: str = "en") -> dict:
    """An order whose parcel is with the carrier, its tracking link and a carrier's API token:
    written before the browser starts (see the chromium fixture)."""
    from orders import services

    customer = services.CustomerInput(email="ana@example.com", name="Ana Souza", locale=locale)
    order = services.place_order(
        data=order_input([(split_catalog(), 2)], customer=customer), actor=ACTOR
    )
    shipment = ship(order.shipments.get(), "1Z999AA10123456784")
    _, token = make_api_client("carrier", scopes=["tracking:write"])
    return {
        "number": order.number,
        "shipment": shipment.number,
        "tracking_number": shipment.tracking_number,
        "url": f"{base_url}/track/{links.tracking_token(order.number)}/",
        "api_token": token,
    }


@pytest.fixture
def shipped_order(web_server) -> dict:
    return create_shipped_order(web_server)


@pytest.fixture
def shipped_order_in_portuguese(web_server) -> dict:
    return create_shipped_order(web_server, locale="pt-br")


def post_scan(base_url: str, token: str, body: dict) -> int:
    request = urllib.request.Request(
        f"{base_url}/api/v1/tracking-events/",
        data=json.dumps(body).encode(),
        method="POST",
        headers={
            "Authorization": f"Bearer {token}",
            "Content-Type": "application/json",
            "Idempotency-Key": uuid.uuid4().hex,
        },
    )
    with urllib.request.urlopen(request, timeout=20) as response:
        return response.status


def test_tracking_page_updates_when_a_scan_is_posted_without_reload(
    web_server, shipped_order, chromium
):
    page = chromium.new_page(viewport={"width": 1100, "height": 1300}, locale="en-US")
    navigations = []
    page.on(
        "framenavigated",
        lambda frame: navigations.append(frame.url) if not frame.parent_frame else None,
    )
    page.goto(shipped_order["url"])
    shipment = page.locator(f"#shipment-{shipped_order['shipment']}")
    expect(page.locator("#order-status")).to_have_text("Shipped")
    expect(shipment.locator(".badge")).to_have_text("Shipped")
    expect(page.locator("[data-live-indicator]")).to_have_attribute("data-state", "live")
    page.evaluate("window.__marker = 1")

    status = post_scan(
        web_server,
        shipped_order["api_token"],
        {
            "carrier": "ups",
            "tracking_number": shipped_order["tracking_number"],
            "event_id": "scan-1",
            "status": "in_transit",
            "occurred_at": datetime.now(UTC).isoformat(),
            "location": "Memphis, TN",
            "description": "Departed the carrier's hub",
        },
    )

    assert status in (200, 201, 202)
    expect(shipment.locator(".badge")).to_have_text("In transit", timeout=15_000)
    latest = shipment.locator(".timeline__item--latest")
    expect(latest).to_contain_text("Memphis, TN")
    expect(latest).to_contain_text("Departed the carrier's hub")
    assert page.evaluate("window.__marker") == 1, "the page was reloaded"
    assert navigations == [shipped_order["url"]]
    page.screenshot(path=SCREENSHOT, full_page=True)


def test_tracking_page_speaks_the_order_language_and_fits_a_phone(
    web_server, shipped_order_in_portuguese, chromium
):
    shipped_order = shipped_order_in_portuguese
    context = chromium.new_context(
        viewport={"width": 390, "height": 844}, device_scale_factor=2, locale="en-US"
    )
    page = context.new_page()

    page.goto(shipped_order["url"])

    expect(page.locator("#order-status")).to_have_text(str(_pt_br(Order.Status.SHIPPED.label)))
    expect(page.locator("h1")).to_have_text(f"Pedido {shipped_order['number']}")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.screenshot(path=MOBILE_SCREENSHOT, full_page=True)
    context.close()


def _pt_br(text) -> str:
    from django.utils import translation

    with translation.override("pt-br"):
        return str(text)
