"""Order edits through the API: the preview writes nothing and its total is what the edit
applies; a stale preview, a shipped order and bad input are refused with nothing changed."""

from decimal import Decimal

import pytest

from orders.models import Order, OrderEvent, Stock
from tests.factories import StockFactory, VariantFactory, order_body

pytestmark = pytest.mark.django_db


@pytest.fixture
def placed(api, idem, two_warehouses):
    east, _ = two_warehouses
    for sku in ("A", "B"):
        StockFactory(variant=VariantFactory(sku=sku), warehouse=east, on_hand=5)
    response = api.post("/api/v1/orders/", order_body([("A", 2)]), format="json", **idem())
    assert response.status_code == 201, response.json()
    return response.json()


def test_preview_then_apply_gives_the_previewed_total(api, idem, placed):
    number, line_id = placed["number"], placed["lines"][0]["id"]
    edit = {
        "quantities": [{"line_id": line_id, "quantity": 1}],
        "add_lines": [{"sku": "B", "quantity": 2}],
    }
    events_before = OrderEvent.objects.filter(order__number=number).count()

    preview = api.post(f"/api/v1/orders/{number}/edits/preview/", edit, format="json")

    assert preview.status_code == 200, preview.json()
    body = preview.json()
    assert body["current"]["total"] != body["new"]["total"]
    assert {line["kind"] for line in body["lines"]} >= {"changed", "added"}
    assert (
        OrderEvent.objects.filter(order__number=number).count() == events_before
    )  # nothing written
    applied = api.post(
        f"/api/v1/orders/{number}/edits/",
        {**edit, "reason": "customer called", "expected_total": body["new"]["total"]},
        format="json",
        **idem(),
    )
    assert applied.status_code == 200, applied.json()
    assert applied.json()["totals"]["total"] == body["new"]["total"]
    assert Stock.objects.get(variant__sku="B").allocated == 2
    assert OrderEvent.objects.filter(order__number=number, type="modified").count() == 1


def test_a_stale_expected_total_is_a_conflict_and_changes_nothing(api, idem, placed):
    number, line_id = placed["number"], placed["lines"][0]["id"]
    response = api.post(
        f"/api/v1/orders/{number}/edits/",
        {
            "quantities": [{"line_id": line_id, "quantity": 1}],
            "reason": "customer called",
            "expected_total": "1.00",
        },
        format="json",
        **idem(),
    )
    assert response.status_code == 409
    assert response.json()["code"] == "order_changed"
    assert Order.objects.get(number=number).total == Decimal(placed["totals"]["total"])
    assert not OrderEvent.objects.filter(order__number=number, type="modified").exists()


def test_bad_input_and_unknown_skus_are_problems_with_field_errors(api, idem, placed):
    number = placed["number"]
    bad = api.post(
        f"/api/v1/orders/{number}/edits/preview/",
        {"quantities": [{"line_id": "x", "quantity": -1}]},
        format="json",
    )
    assert bad.status_code == 400
    unknown = api.post(
        f"/api/v1/orders/{number}/edits/preview/",
        {"add_lines": [{"sku": "NOPE", "quantity": 1}]},
        format="json",
    )
    assert unknown.status_code == 400
    assert any(error["code"] == "unknown_sku" for error in unknown.json()["errors"])


def test_a_shipped_order_cannot_be_edited(api, idem, placed):
    number = placed["number"]
    shipment = placed["shipments"][0]["number"]
    for step in ("pick", "pack"):
        assert (
            api.post(f"/api/v1/shipments/{shipment}/{step}/", {}, format="json").status_code == 200
        )
    response = api.post(
        f"/api/v1/orders/{number}/edits/",
        {"shipping_method": "express", "reason": "faster please"},
        format="json",
        **idem(),
    )
    assert response.status_code == 409
    assert not OrderEvent.objects.filter(order__number=number, type="modified").exists()
