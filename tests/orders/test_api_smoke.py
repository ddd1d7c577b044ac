from decimal import Decimal

import pytest

from orders.models import Order, Stock
from tests.factories import order_body

pytestmark = pytest.mark.django_db(transaction=True)


def test_place_ship_track_deliver_an_order_through_the_api(api, idem, stocked_variant):
    response = api.post("/api/v1/orders/", order_body([("TEE-M", 2)]), format="json", **idem())
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "confirmed"
    assert body["totals"]["total"] == "55.00"
    shipment = body["shipments"][0]["number"]

    response = api.post(
        f"/api/v1/shipments/{shipment}/ship/",
        {"carrier": "ups", "tracking_number": "1Z999"},
        format="json",
    )
    assert response.status_code == 200, response.json()
    order = Order.objects.get(number=body["number"])
    assert order.status == "shipped"
    assert order.payments.get().amount_captured == Decimal("55.00")

    response = api.post(
        "/api/v1/tracking-events/",
        {
            "carrier": "ups",
            "tracking_number": "1Z999",
            "event_id": "e1",
            "status": "delivered",
            "occurred_at": "2026-11-20T10:00:00Z",
        },
        format="json",
    )
    assert response.status_code == 202, response.json()
    order.refresh_from_db()
    assert order.status == "delivered"
    assert sum(s.on_hand for s in Stock.objects.all()) == 8
