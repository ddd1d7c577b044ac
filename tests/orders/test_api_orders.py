"""The order API beyond placement: reading, filtering, cancelling lines, holds, shipments,
tracking, stock and customers."""

from datetime import UTC, datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from orders.models import Order, Stock, StockMovement, TrackingEvent
from tests.factories import StockFactory, VariantFactory, WarehouseFactory, order_body

pytestmark = pytest.mark.django_db(transaction=True)


def place(api, idem, lines, **overrides):
    response = api.post("/api/v1/orders/", order_body(lines, **overrides), format="json", **idem())
    assert response.status_code == 201, response.json()
    return response.json()


def many_line_order(api, idem, count: int) -> str:
    warehouse = WarehouseFactory(code="MAIN", priority=1)
    skus = []
    for index in range(count):
        variant = VariantFactory(sku=f"MANY-{count}-{index}")
        StockFactory(variant=variant, warehouse=warehouse, on_hand=10)
        skus.append((variant.sku, 1))
    return place(api, idem, skus)["number"]


def detail_queries(api, number: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert api.get(f"/api/v1/orders/{number}/").status_code == 200
    return len(queries)


def test_order_detail_runs_the_same_few_queries_whatever_the_number_of_lines(
    api, idem, django_assert_max_num_queries
):
    small = many_line_order(api, idem, 2)
    large = many_line_order(api, idem, 50)
    with django_assert_max_num_queries(12):
        api.get(f"/api/v1/orders/{large}/")
    assert detail_queries(api, small) == detail_queries(api, large)


def test_order_list_filters_and_paginates_with_a_cursor(api, idem, stocked_variant):
    first = place(api, idem, [("TEE-M", 1)], external_reference="SHOP-1")
    second = place(
        api,
        idem,
        [("TEE-M", 1)],
        channel="marketplace",
        customer={"email": "bob@example.com", "name": "Bob"},
    )
    third = place(api, idem, [("TEE-M", 1)])

    def numbers(query: str) -> list[str]:
        response = api.get(f"/api/v1/orders/{query}")
        assert response.status_code == 200, response.json()
        return [o["number"] for o in response.json()["results"]]

    assert numbers("") == [third["number"], second["number"], first["number"]]
    assert numbers("?channel=marketplace") == [second["number"]]
    assert numbers("?email=BOB@example.com") == [second["number"]]
    assert numbers("?external_reference=SHOP-1") == [first["number"]]
    assert numbers("?status=cancelled") == []
    assert numbers("?warehouse=EAST") == [third["number"], second["number"], first["number"]]
    assert numbers("?warehouse=NOPE") == []
    assert numbers("?created_after=2000-01-01T00:00:00Z&created_before=2999-01-01T00:00:00Z")

    page = api.get("/api/v1/orders/?limit=2").json()
    assert [o["number"] for o in page["results"]] == [third["number"], second["number"]]
    rest = api.get(page["next"]).json()
    assert [o["number"] for o in rest["results"]] == [first["number"]]
    assert "count" not in page  # no count(*) over the orders table


def test_bad_list_filter_is_a_problem_detail(api):
    response = api.get("/api/v1/orders/?status=lost&created_after=yesterday")
    assert response.status_code == 400
    assert {e["field"] for e in response.json()["errors"]} == {"status", "created_after"}


def test_cancel_one_line_releases_its_stock_and_lowers_the_total(api, idem, two_warehouses):
    east, _ = two_warehouses
    for sku in ("A", "B"):
        StockFactory(variant=VariantFactory(sku=sku), warehouse=east, on_hand=5)
    order = place(api, idem, [("A", 2), ("B", 1)])
    line_a = order["lines"][0]["id"]
    response = api.post(
        f"/api/v1/orders/{order['number']}/cancel/",
        {"reason": "customer changed mind", "lines": [{"line_id": line_a, "quantity": 1}]},
        format="json",
        **idem(),
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["status"] == "confirmed"
    assert body["lines"][0]["quantity_cancelled"] == 1
    assert body["totals"]["total"] == "55.00"  # 1 x 25 + 1 x 25 + 5 shipping
    assert Stock.objects.get(variant__sku="A").allocated == 1
    assert body["shipments"][0]["lines"][0]["quantity"] == 1
    assert body["timeline"][-1]["type"] == "lines_cancelled"
    assert body["timeline"][-1]["reason"] == "customer changed mind"


def test_cancelling_every_line_cancels_the_order_and_voids_the_payment(api, idem, stocked_variant):
    order = place(api, idem, [("TEE-M", 2)])
    line = order["lines"][0]["id"]
    response = api.post(
        f"/api/v1/orders/{order['number']}/cancel/",
        {"reason": "duplicate", "lines": [{"line_id": line, "quantity": 2}]},
        format="json",
        **idem(),
    )
    body = response.json()
    assert body["status"] == "cancelled"
    assert body["payments"][0]["status"] == "voided"


def test_held_order_cannot_ship_until_released(api, idem, stocked_variant):
    order = place(api, idem, [("TEE-M", 1)])
    number, shipment = order["number"], order["shipments"][0]["number"]
    assert (
        api.post(
            f"/api/v1/orders/{number}/hold/", {"reason": "address check"}, format="json"
        ).json()["status"]
        == "on_hold"
    )
    refused = api.post(
        f"/api/v1/shipments/{shipment}/ship/",
        {"carrier": "ups", "tracking_number": "Z1"},
        format="json",
    )
    assert refused.status_code == 409
    assert refused.json()["code"] == "order_on_hold"
    assert (
        api.post(f"/api/v1/orders/{number}/release/", {}, format="json").json()["status"]
        == "confirmed"
    )
    shipped = api.post(
        f"/api/v1/shipments/{shipment}/ship/",
        {"carrier": "ups", "tracking_number": "Z1"},
        format="json",
    )
    assert shipped.status_code == 200
    assert api.get(f"/api/v1/orders/{number}/").json()["status"] == "shipped"


def test_a_split_order_ships_from_two_warehouses_and_captures_per_shipment(
    api, idem, stocked_variant
):
    order = place(api, idem, [("TEE-M", 7)])  # 5 from EAST (priority), 2 from WEST
    shipments = {s["warehouse"]: s for s in order["shipments"]}
    assert {w: s["lines"][0]["quantity"] for w, s in shipments.items()} == {"EAST": 5, "WEST": 2}
    api.post(f"/api/v1/shipments/{shipments['EAST']['number']}/pick/")
    api.post(f"/api/v1/shipments/{shipments['EAST']['number']}/pack/")
    api.post(
        f"/api/v1/shipments/{shipments['EAST']['number']}/ship/",
        {"carrier": "ups", "tracking_number": "E1"},
        format="json",
    )
    body = api.get(f"/api/v1/orders/{order['number']}/").json()
    assert body["status"] == "partially_shipped"
    assert body["payments"][0]["amount_captured"] == "130.00"  # 5 x 25 + 5 shipping
    api.post(
        f"/api/v1/shipments/{shipments['WEST']['number']}/ship/",
        {"carrier": "ups", "tracking_number": "W1"},
        format="json",
    )
    body = api.get(f"/api/v1/orders/{order['number']}/").json()
    assert body["status"] == "shipped"
    assert body["payments"][0]["amount_captured"] == body["totals"]["total"] == "180.00"
    assert StockMovement.objects.filter(kind="shipment").count() == 2


def test_splitting_a_parcel_moves_units_into_a_new_shipment(api, idem, stocked_variant):
    order = place(api, idem, [("TEE-M", 4)])
    line = order["lines"][0]["id"]
    response = api.post(
        f"/api/v1/orders/{order['number']}/shipments/",
        {"warehouse": "EAST", "lines": [{"line_id": line, "quantity": 1}]},
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = api.get(f"/api/v1/orders/{order['number']}/").json()
    assert sorted(s["lines"][0]["quantity"] for s in body["shipments"]) == [1, 3]
    too_many = api.post(
        f"/api/v1/orders/{order['number']}/shipments/",
        {"warehouse": "EAST", "lines": [{"line_id": line, "quantity": 9}]},
        format="json",
    )
    assert too_many.status_code == 400


def scan(api, event_id: str, status: str, hour: int, tracking: str = "T1"):
    return api.post(
        "/api/v1/tracking-events/",
        {
            "carrier": "ups",
            "tracking_number": tracking,
            "event_id": event_id,
            "status": status,
            "occurred_at": datetime(2026, 11, 20, hour, tzinfo=UTC).isoformat(),
            "location": "Memphis, TN",
        },
        format="json",
    )


def test_tracking_events_are_idempotent_and_safe_out_of_order(api, idem, stocked_variant):
    order = place(api, idem, [("TEE-M", 1)])
    shipment = order["shipments"][0]["number"]
    api.post(
        f"/api/v1/shipments/{shipment}/ship/",
        {"carrier": "ups", "tracking_number": "T1"},
        format="json",
    )
    assert scan(api, "e3", "delivered", 15).status_code == 202
    assert scan(api, "e1", "in_transit", 9).status_code == 202  # older, arrives late
    assert scan(api, "e2", "out_for_delivery", 11).status_code == 202
    repeat = scan(api, "e3", "delivered", 15)
    assert repeat.status_code == 200
    assert repeat.json()["event_id"] == "e3"
    body = api.get(f"/api/v1/shipments/{shipment}/").json()
    assert body["status"] == "delivered"
    assert [e["carrier_event_id"] for e in body["tracking_events"]] == ["e1", "e2", "e3"]
    assert TrackingEvent.objects.count() == 3
    assert Order.objects.get(number=order["number"]).status == "delivered"


def test_tracking_event_for_an_unknown_parcel_is_404(api):
    response = scan(api, "x", "in_transit", 9, tracking="NOPE")
    assert response.status_code == 404
    assert response.json()["code"] == "shipment_not_found"


def test_stock_adjustment_is_audited_and_never_takes_allocated_units(api, idem, stocked_variant):
    place(api, idem, [("TEE-M", 4)])
    response = api.post(
        "/api/v1/stock/adjustments/",
        {"sku": "TEE-M", "warehouse": "EAST", "delta": 10, "reason": "receipt"},
        format="json",
    )
    assert response.status_code == 201
    assert response.json() | {"updated_at": None} == {
        "sku": "TEE-M",
        "warehouse": "EAST",
        "on_hand": 15,
        "allocated": 4,
        "available": 11,
        "updated_at": None,
    }
    refused = api.post(
        "/api/v1/stock/adjustments/",
        {"sku": "TEE-M", "warehouse": "EAST", "delta": -12, "reason": "count"},
        format="json",
    )
    assert refused.status_code == 409
    assert refused.json()["code"] == "stock_below_allocated"
    movement = StockMovement.objects.filter(kind="adjustment").get()
    assert (movement.reason, movement.actor_label, movement.on_hand_after) == (
        "receipt",
        "test-client",
        15,
    )


def test_catalogue_stock_and_customer_endpoints(api, idem, stocked_variant):
    place(api, idem, [("TEE-M", 1)])
    products = api.get("/api/v1/products/").json()["results"]
    assert products[0]["variants"][0]["sku"] == "TEE-M"
    variant = api.get("/api/v1/variants/TEE-M/").json()
    assert {s["warehouse"]: s["available"] for s in variant["stock"]} == {"EAST": 4, "WEST": 5}
    assert [w["code"] for w in api.get("/api/v1/warehouses/").json()] == ["EAST", "WEST"]
    assert len(api.get("/api/v1/stock/?sku=TEE-M").json()["results"]) == 2
    found = api.get("/api/v1/customers/?search=ana@example.com").json()["results"]
    assert [c["name"] for c in found] == ["Ana Souza"]
    by_name = api.get("/api/v1/customers/?search=souza").json()["results"]
    customer = api.get(f"/api/v1/customers/{by_name[0]['id']}/").json()
    assert customer["addresses"][0]["city"] == "São Paulo"
    assert api.get("/api/v1/variants/NOPE/").status_code == 404


def test_placing_an_order_costs_the_same_statements_for_3_or_30_lines(api, idem, monkeypatch):
    # The request's own statements: notifications are a worker's job (kicked after commit).
    monkeypatch.setattr("notifications.services.dispatch.kick", lambda message_id: None)
    warehouses = [WarehouseFactory(code=f"W{i}", priority=i) for i in range(4)]

    def statements(line_count: int) -> int:
        lines = []
        for _ in range(line_count):
            variant = VariantFactory()
            for warehouse in warehouses:
                StockFactory(variant=variant, warehouse=warehouse, on_hand=100)
            lines.append((variant.sku, 2))
        with CaptureQueriesContext(connection) as queries:
            response = api.post("/api/v1/orders/", order_body(lines), format="json", **idem())
        assert response.status_code == 201
        return len(queries)

    statements(1)  # the customer and their address are created on the first order
    assert statements(3) == statements(30) <= 60


def test_amounts_are_written_with_their_currency_decimals(api, idem, two_warehouses):
    east, _ = two_warehouses
    StockFactory(variant=VariantFactory(sku="YEN", currency="JPY", price="2500"), warehouse=east)
    order = place(api, idem, [("YEN", 2)], currency="JPY", shipping_price="500")
    assert order["totals"] == {
        "subtotal": "5000",
        "discount_total": "0",
        "shipping_total": "500",
        "total": "5500",
    }
    assert order["lines"][0]["unit_price"] == "2500"
    assert order["payments"][0]["amount_authorized"] == "5500"
    assert api.get("/api/v1/orders/").json()["results"][0]["total"] == "5500"
