"""The customer tracking page: what it shows at each step of the journey, the fragment it
re-fetches, its wiring to its own live stream, and the links it refuses."""

import re
from datetime import UTC, datetime

import pytest
from django.utils import translation

from notifications.channels import live
from notifications.selectors import latest_live_event_id
from orders import links, services
from orders.models import Order
from tests.orders.builders import ACTOR, order_in_status, order_input, ship, split_catalog

pytestmark = pytest.mark.django_db


def page_url(number: str, suffix: str = "") -> str:
    return f"/track/{links.tracking_token(number)}/{suffix}"


def test_page_shows_status_progress_shipments_and_scans(client):
    order = services.place_order(data=order_input([(split_catalog(), 7)]), actor=ACTOR)
    first, _ = order.shipments.order_by("pk")
    first = ship(first, "T1")
    services.record_tracking_event(
        carrier="ups",
        tracking_number="T1",
        carrier_event_id="e1",
        status="in_transit",
        occurred_at=datetime(2026, 11, 20, 9, tzinfo=UTC),
        location="Memphis, TN",
        description="Departed facility",
        actor=ACTOR,
    )

    response = client.get(page_url(order.number))

    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="order-status">Partially shipped<' in html
    assert "Package 1 of 2" in html and "Package 2 of 2" in html
    assert "Memphis, TN" in html and "Departed facility" in html
    assert 'aria-current="step"' in html and "journey__step--done" in html
    assert "Estimated delivery" in html


def test_page_listens_to_its_own_stream_from_where_it_was_rendered(client):
    order = services.place_order(data=order_input([(split_catalog(), 1)]), actor=ACTOR)
    latest = live.append(topic="staff", event_type="order.held", payload={}, delivery=None)

    # One token for every URL: a token signed in another second reads differently.
    base = page_url(order.number)
    html = client.get(base).content.decode()

    # Another process sharing the test database may commit live events meanwhile: the page must
    # start at or after the newest event that existed before it was rendered, never before.
    events_url = re.escape(f"{base}events/")
    after = int(re.search(rf'sse-connect="{events_url}\?after=(\d+)"', html).group(1))
    assert latest.pk <= after <= latest_live_event_id()
    assert f'hx-get="{base}fragment/"' in html
    assert 'hx-trigger="sse:tracking' in html


def test_page_uses_the_vendored_htmx_and_no_cdn(client):
    order = services.place_order(data=order_input([(split_catalog(), 1)]), actor=ACTOR)

    html = client.get(page_url(order.number)).content.decode()

    scripts = re.findall(r'<script[^>]*src="([^"]+)"', html)
    assert "/static/vendor/htmx/htmx.min.js" in scripts
    assert "/static/vendor/htmx/sse.js" in scripts
    assert not [src for src in scripts if "//" in src]
    assert not re.search(r'<link[^>]*href="(https?:)?//', html)


def test_fragment_is_the_live_part_of_the_page_only(client):
    order = order_in_status(Order.Status.ON_HOLD, split_catalog())

    response = client.get(page_url(order.number, "fragment/"))

    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html and "sse-connect" not in html
    assert 'id="order-status">On hold<' in html
    assert "paused this order" in html
    assert "fraud review" not in html  # the hold reason is internal


def test_cancelled_order_shows_no_progress_and_no_estimate(client):
    order = order_in_status(Order.Status.CANCELLED, split_catalog())

    html = client.get(page_url(order.number)).content.decode()

    assert "This order was cancelled" in html
    assert 'class="journey"' not in html and "Estimated delivery" not in html


def test_page_speaks_the_order_language_unless_the_customer_chose_one(client):
    customer = services.CustomerInput(email="ana@example.com", name="Ana", locale="pt-br")
    order = services.place_order(
        data=order_input([(split_catalog(), 1)], customer=customer), actor=ACTOR
    )
    with translation.override("pt-br"):
        confirmed_pt = str(Order.Status.CONFIRMED.label)

    in_portuguese = client.get(page_url(order.number)).content.decode()
    client.cookies["django_language"] = "en"
    in_english = client.get(page_url(order.number)).content.decode()

    assert f'id="order-status">{confirmed_pt}<' in in_portuguese
    assert 'id="order-status">Confirmed<' in in_english


@pytest.mark.parametrize("suffix", ["", "fragment/", "events/"])
def test_forged_or_expired_links_are_404(client, monkeypatch, suffix):
    order = services.place_order(data=order_input([(split_catalog(), 1)]), actor=ACTOR)
    token = links.tracking_token(order.number)

    forged = client.get(f"/track/{token[:-2]}xx/{suffix}")
    monkeypatch.setattr(links, "TRACKING_LINK_MAX_AGE", -1)
    expired = client.get(f"/track/{token}/{suffix}")

    assert forged.status_code == 404
    assert expired.status_code == 404


def test_a_valid_link_to_an_order_that_no_longer_exists_is_404(client):
    assert client.get(page_url("999999")).status_code == 404


def test_page_queries_are_bounded_whatever_the_number_of_shipments_and_scans(
    client, django_assert_max_num_queries
):
    order = order_in_status(Order.Status.SHIPPED, split_catalog())
    for shipment in order.shipments.all():
        for index in range(5):
            services.record_tracking_event(
                carrier="ups",
                tracking_number=shipment.tracking_number,
                carrier_event_id=f"{shipment.number}-{index}",
                status="in_transit",
                occurred_at=datetime(2026, 11, 20, index, tzinfo=UTC),
                actor=ACTOR,
            )

    with django_assert_max_num_queries(10):
        assert client.get(page_url(order.number)).status_code == 200
