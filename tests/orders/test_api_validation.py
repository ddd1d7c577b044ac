"""Validation: bad JSON, negative or zero quantities, unknown SKUs, huge numbers, wrong currency,
over-long strings each get a 4xx problem detail and change nothing."""

import json
import uuid

import pytest
from rest_framework.test import APIClient

from notifications.models import OutboxMessage
from oms.models import IdempotencyRecord, Scope
from orders.models import (
    Order,
    OrderEvent,
    OrderLine,
    Payment,
    Shipment,
    Stock,
    StockMovement,
    TrackingEvent,
)
from tests.factories import make_api_client, order_body

ORDERS = "/api/v1/orders/"
PROBLEM = "application/problem+json"


def snapshot() -> dict:
    """Everything a refused request must leave as it was."""
    return {
        "orders": list(Order.objects.values_list("number", "status", "total").order_by("pk")),
        "lines": list(OrderLine.objects.values_list("pk", "quantity_cancelled").order_by("pk")),
        "events": OrderEvent.objects.count(),
        "payments": list(
            Payment.objects.values_list("pk", "amount_captured", "amount_refunded").order_by("pk")
        ),
        "shipments": list(Shipment.objects.values_list("pk", "status").order_by("pk")),
        "tracking": TrackingEvent.objects.count(),
        "outbox": OutboxMessage.objects.count(),
        "movements": StockMovement.objects.count(),
        "stock": list(Stock.objects.values_list("pk", "on_hand", "allocated").order_by("pk")),
        "idempotency": IdempotencyRecord.objects.count(),
    }


def assert_problem(
    response, status: int, code: str, field: str | tuple[str, str] | None = None
) -> dict:
    """An RFC 9457 problem with a stable code; `field` is an error path, or (path, error code)."""
    assert response.status_code == status, response.content
    assert response["Content-Type"] == PROBLEM
    body = response.json()
    assert body["status"] == status
    assert body["code"] == code, body
    assert body["type"].endswith(code.replace("_", "-"))
    assert body["title"] and body["detail"]
    errors = body.get("errors", [])
    assert all(set(error) == {"field", "code", "message"} for error in errors), errors
    if isinstance(field, tuple):
        assert field in [(error["field"], error["code"]) for error in errors], body
    elif field is not None:
        assert field in [error["field"] for error in errors], body
    return body


def post_order(api, body, idem):
    return api.post(ORDERS, body, format="json", **idem())


def with_lines(lines) -> dict:
    return {**order_body([]), "lines": lines}


def with_line(**changes) -> dict:
    body = order_body([("TEE-M", 2)])
    body["lines"][0].update(changes)
    return body


BAD_ORDERS = {
    "quantity_zero": (with_line(quantity=0), "validation_error", ("lines.0.quantity", "min_value")),
    "quantity_negative": (
        with_line(quantity=-1),
        "validation_error",
        ("lines.0.quantity", "min_value"),
    ),
    "quantity_huge": (
        with_line(quantity=10**12),
        "validation_error",
        ("lines.0.quantity", "max_value"),
    ),
    "quantity_not_a_number": (
        with_line(quantity="abc"),
        "validation_error",
        ("lines.0.quantity", "invalid"),
    ),
    "quantity_fractional": (with_line(quantity=1.5), "validation_error", "lines.0.quantity"),
    "unit_price_exponent": (with_line(unit_price="1e30"), "validation_error", "lines.0.unit_price"),
    "unit_price_huge": (with_line(unit_price=10**20), "validation_error", "lines.0.unit_price"),
    "unit_price_negative": (
        with_line(unit_price="-1.00"),
        "validation_error",
        "lines.0.unit_price",
    ),
    "unit_price_nan": (with_line(unit_price="NaN"), "validation_error", "lines.0.unit_price"),
    "unit_price_too_many_decimals": (
        with_line(unit_price="1.0001"),
        "validation_error",
        "lines.0.unit_price",
    ),
    "discount_too_many_decimals_for_usd": (
        with_line(discount="1.005"),
        "invalid_order",
        ("lines.0.discount", "invalid_precision"),
    ),
    "discount_greater_than_line": (
        with_line(discount="50.01"),
        "invalid_order",
        ("lines.0.discount", "discount_exceeds_line"),
    ),
    "shipping_price_too_many_decimals_for_usd": (
        order_body([("TEE-M", 2)], shipping_price="5.001"),
        "invalid_order",
        ("shipping_price", "invalid_precision"),
    ),
    "unknown_sku": (order_body([("NOPE-1", 1)]), "invalid_order", ("lines.0.sku", "unknown_sku")),
    "duplicate_sku": (
        order_body([("TEE-M", 1), ("TEE-M", 1)]),
        "invalid_order",
        ("lines.1.sku", "duplicate_sku"),
    ),
    "unknown_currency": (
        order_body([("TEE-M", 1)], currency="XYZ"),
        "invalid_order",
        ("currency", "unknown_currency"),
    ),
    "currency_mismatch": (
        order_body([("TEE-M", 1)], currency="EUR"),
        "invalid_order",
        ("currency", "currency_mismatch"),
    ),
    "lowercase_currency": (
        order_body([("TEE-M", 1)], currency="usd"),
        "validation_error",
        "currency",
    ),
    "long_customer_name": (
        order_body([("TEE-M", 1)], customer={"email": "ana@example.com", "name": "A" * 5000}),
        "validation_error",
        "customer.name",
    ),
    "long_external_reference": (
        order_body([("TEE-M", 1)], external_reference="R" * 65),
        "validation_error",
        "external_reference",
    ),
    "long_sku": (order_body([("S" * 5000, 1)]), "validation_error", "lines.0.sku"),
    "too_many_lines": (
        order_body([(f"SKU-{i}", 1) for i in range(201)]),
        "validation_error",
        "lines",
    ),
    "empty_lines": (order_body([]), "validation_error", "lines"),
    "lines_not_a_list": (with_lines("TEE-M"), "validation_error", "lines"),
    "missing_customer": (
        {k: v for k, v in order_body([("TEE-M", 1)]).items() if k != "customer"},
        "validation_error",
        "customer",
    ),
    "missing_lines": (
        {k: v for k, v in order_body([("TEE-M", 1)]).items() if k != "lines"},
        "validation_error",
        "lines",
    ),
    "missing_shipping_address": (
        {k: v for k, v in order_body([("TEE-M", 1)]).items() if k != "shipping_address"},
        "validation_error",
        "shipping_address",
    ),
    "missing_quantity": (with_lines([{"sku": "TEE-M"}]), "validation_error", "lines.0.quantity"),
    "bad_email": (
        order_body([("TEE-M", 1)], customer={"email": "not-an-email", "name": "Ana"}),
        "validation_error",
        "customer.email",
    ),
    "bad_country": (
        order_body(
            [("TEE-M", 1)],
            shipping_address={
                "name": "A",
                "line1": "x",
                "city": "y",
                "postal_code": "1",
                "country": "Brazil",
            },
        ),
        "validation_error",
        "shipping_address.country",
    ),
    "unknown_gateway": (
        order_body([("TEE-M", 1)], payment={"gateway": "paypal"}),
        "validation_error",
        "payment.gateway",
    ),
    "body_is_a_list": ([order_body([("TEE-M", 1)])], "validation_error", None),
}


@pytest.mark.parametrize(("body", "code", "field"), BAD_ORDERS.values(), ids=BAD_ORDERS.keys())
def test_bad_order_is_refused_with_a_problem_and_changes_nothing(
    api, idem, stocked_variant, body, code, field
):
    before = snapshot()
    response = post_order(api, body, idem)
    assert_problem(response, 400, code, field)
    assert snapshot() == before
    assert not Order.objects.exists()


def test_discount_with_decimals_is_refused_for_a_currency_without_them(api, idem, two_warehouses):
    from tests.factories import StockFactory, VariantFactory

    variant = VariantFactory(sku="RAMEN", currency="JPY", price="1500")
    StockFactory(variant=variant, warehouse=two_warehouses[0], on_hand=5)
    before = snapshot()
    body = order_body([("RAMEN", 1)], currency="JPY", shipping_price="500")
    body["lines"][0]["discount"] = "0.5"
    assert_problem(post_order(api, body, idem), 400, "invalid_order", "lines.0.discount")
    body["lines"][0]["discount"] = "0"
    body["lines"][0]["unit_price"] = "1499.99"
    assert_problem(post_order(api, body, idem), 400, "invalid_order", "lines.0.unit_price")
    assert snapshot() == before


@pytest.mark.parametrize(
    "body",
    [
        with_line(unit_price="99999999999.99", quantity=2),
        order_body([("TEE-M", 1)], shipping_price="99999999999.99"),
    ],
    ids=["line", "shipping"],
)
def test_order_total_beyond_what_money_columns_hold_is_refused(api, idem, stocked_variant, body):
    before = snapshot()
    assert_problem(post_order(api, body, idem), 400, "amount_too_large", "lines")
    assert snapshot() == before


def test_malformed_json_is_refused_with_a_problem_and_changes_nothing(api, stocked_variant):
    before = snapshot()
    response = api.generic(
        "POST",
        ORDERS,
        data=b"{bad",
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY=uuid.uuid4().hex,
    )
    assert_problem(response, 400, "malformed_request")
    assert snapshot() == before


def raw_order_with_quantity(quantity: str) -> bytes:
    """A valid order body whose quantity is written verbatim (JSON a client library won't emit)."""
    body = json.dumps(order_body([("TEE-M", 1)]))
    return body.replace('"quantity": 1', f'"quantity": {quantity}').encode()


@pytest.mark.parametrize(
    ("raw", "code", "field"),
    [
        (raw_order_with_quantity("1e400"), "validation_error", ("lines.0.quantity", "invalid")),
        (raw_order_with_quantity("1" * 5000), "malformed_request", None),
        (raw_order_with_quantity("NaN"), "malformed_request", None),
        (b"[1, 2", "malformed_request", None),
        (b"\xff\xfe{}", "malformed_request", None),
        (b"", "validation_error", "lines"),
        (b"null", "validation_error", None),
    ],
    ids=["overflowing_float", "5000_digit_int", "nan", "truncated", "not_utf8", "empty", "null"],
)
def test_unparseable_or_shapeless_body_is_refused_and_changes_nothing(
    api, stocked_variant, raw, code, field
):
    before = snapshot()
    response = api.generic(
        "POST",
        ORDERS,
        data=raw,
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY=uuid.uuid4().hex,
    )
    assert_problem(response, 400, code, field)
    assert snapshot() == before


def test_non_json_body_is_refused_as_unsupported_media_type(api, stocked_variant):
    before = snapshot()
    response = api.generic(
        "POST",
        ORDERS,
        data=b"sku=TEE-M",
        content_type="application/x-www-form-urlencoded",
        HTTP_IDEMPOTENCY_KEY=uuid.uuid4().hex,
    )
    assert_problem(response, 415, "unsupported_media_type")
    assert snapshot() == before


def test_order_without_idempotency_key_is_refused(api, stocked_variant):
    before = snapshot()
    response = api.post(ORDERS, order_body([("TEE-M", 1)]), format="json")
    assert_problem(response, 400, "idempotency_key_required")
    assert snapshot() == before


def test_refused_order_frees_its_idempotency_key_for_the_corrected_request(api, stocked_variant):
    key = {"HTTP_IDEMPOTENCY_KEY": uuid.uuid4().hex}
    response = api.post(ORDERS, with_line(quantity=0), format="json", **key)
    assert_problem(response, 400, "validation_error", "lines.0.quantity")
    response = api.post(ORDERS, with_line(quantity=1), format="json", **key)
    assert response.status_code == 201, response.json()


def test_more_stock_than_exists_is_a_conflict_that_changes_nothing(api, idem, stocked_variant):
    before = snapshot()
    response = post_order(api, order_body([("TEE-M", 11)]), idem)
    body = assert_problem(response, 409, "insufficient_stock")
    assert body["skus"] == ["TEE-M"]
    # A 409 is an outcome the idempotency layer keeps for replay; nothing else may change.
    before.pop("idempotency")
    after = snapshot()
    after.pop("idempotency")
    assert after == before


# --- Authentication and authorization ----------------------------------------------------------


def test_missing_token_gets_401_problem_with_www_authenticate(db, stocked_variant, idem):
    before = snapshot()
    response = APIClient().post(ORDERS, order_body([("TEE-M", 1)]), format="json", **idem())
    assert_problem(response, 401, "not_authenticated")
    assert response["WWW-Authenticate"] == "Bearer"
    assert snapshot() == before


def test_unknown_token_gets_401_problem_with_www_authenticate(db, stocked_variant, idem):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Bearer oms_not-a-real-token")
    response = client.post(ORDERS, order_body([("TEE-M", 1)]), format="json", **idem())
    assert_problem(response, 401, "authentication_failed")
    assert response["WWW-Authenticate"] == "Bearer"


def test_token_without_orders_write_scope_gets_403_and_changes_nothing(db, stocked_variant, idem):
    _, token = make_api_client("reader", scopes=[Scope.ORDERS_READ])
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    before = snapshot()
    response = client.post(ORDERS, order_body([("TEE-M", 1)]), format="json", **idem())
    body = assert_problem(response, 403, "permission_denied")
    assert "orders:write" in body["detail"]
    assert snapshot() == before
    assert client.get(ORDERS).status_code == 200


def test_unknown_order_number_gets_404_problem(api):
    body = assert_problem(api.get(f"{ORDERS}999999999/"), 404, "order_not_found")
    assert body["instance"] == f"{ORDERS}999999999/"


def test_unknown_route_under_the_api_gets_404(api):
    response = api.get("/api/v1/no-such-thing/")
    assert response.status_code == 404


# --- Other endpoints ---------------------------------------------------------------------------


@pytest.fixture
def placed_order(api, idem, stocked_variant) -> dict:
    response = post_order(api, order_body([("TEE-M", 2)]), idem)
    assert response.status_code == 201, response.json()
    return response.json()


def test_releasing_an_order_that_is_not_on_hold_is_a_409_that_changes_nothing(api, placed_order):
    before = snapshot()
    response = api.post(f"{ORDERS}{placed_order['number']}/release/", {}, format="json")
    body = assert_problem(response, 409, "order_not_on_hold")
    assert body["current_status"] == "confirmed"
    assert snapshot() == before


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"reason": ""}, "reason"),
        ({"reason": "   "}, "reason"),
        ({}, "reason"),
        ({"reason": "x" * 256}, "reason"),
        ({"reason": "changed mind", "lines": [{"line_id": 1, "quantity": 0}]}, "lines.0.quantity"),
        ({"reason": "changed mind", "lines": []}, "lines"),
    ],
    ids=["empty", "blank", "missing", "too_long", "zero_units", "empty_lines"],
)
def test_cancel_with_bad_input_is_refused_and_changes_nothing(api, idem, placed_order, body, field):
    before = snapshot()
    response = api.post(f"{ORDERS}{placed_order['number']}/cancel/", body, format="json", **idem())
    assert_problem(response, 400, "validation_error", field)
    assert snapshot() == before


def test_cancelling_a_line_of_another_order_is_refused_and_changes_nothing(api, idem, placed_order):
    before = snapshot()
    response = api.post(
        f"{ORDERS}{placed_order['number']}/cancel/",
        {"reason": "changed mind", "lines": [{"line_id": 10**6, "quantity": 1}]},
        format="json",
        **idem(),
    )
    assert_problem(response, 400, "lines_not_cancellable", "lines")
    assert snapshot() == before


def test_hold_without_reason_is_refused_and_changes_nothing(api, placed_order):
    before = snapshot()
    response = api.post(f"{ORDERS}{placed_order['number']}/hold/", {"reason": ""}, format="json")
    assert_problem(response, 400, "validation_error", "reason")
    assert snapshot() == before


ADJUST = "/api/v1/stock/adjustments/"
GOOD_ADJUSTMENT = {"sku": "TEE-M", "warehouse": "EAST", "delta": 3, "reason": "cycle count"}


@pytest.mark.parametrize(
    ("changes", "status", "code", "field"),
    [
        ({"delta": 0}, 400, "zero_delta", None),
        ({"reason": None}, 400, "validation_error", "reason"),
        ({"reason": ""}, 400, "validation_error", "reason"),
        ({"delta": 10**9}, 400, "validation_error", "delta"),
        ({"delta": -(10**9)}, 400, "validation_error", "delta"),
        ({"delta": "many"}, 400, "validation_error", "delta"),
        ({"sku": "NOPE"}, 404, "sku_not_found", None),
        ({"warehouse": "NOWHERE"}, 404, "warehouse_not_found", None),
        ({"delta": -6}, 409, "stock_below_allocated", None),
    ],
    ids=[
        "zero",
        "missing_reason",
        "empty_reason",
        "huge",
        "huge_negative",
        "not_a_number",
        "unknown_sku",
        "unknown_warehouse",
        "below_zero",
    ],
)
def test_bad_stock_adjustment_is_refused_and_changes_nothing(
    api, stocked_variant, changes, status, code, field
):
    body = {**GOOD_ADJUSTMENT, **changes}
    body = {k: v for k, v in body.items() if v is not None}
    before = snapshot()
    response = api.post(ADJUST, body, format="json")
    assert_problem(response, status, code, field)
    assert snapshot() == before


def test_good_stock_adjustment_is_accepted(api, stocked_variant):
    response = api.post(ADJUST, GOOD_ADJUSTMENT, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["on_hand"] == 8


TRACKING = "/api/v1/tracking-events/"


@pytest.fixture
def shipped(api, placed_order) -> str:
    number = placed_order["shipments"][0]["number"]
    response = api.post(
        f"/api/v1/shipments/{number}/ship/",
        {"carrier": "ups", "tracking_number": "1Z999"},
        format="json",
    )
    assert response.status_code == 200, response.json()
    return number


def scan(**changes) -> dict:
    return {
        "carrier": "ups",
        "tracking_number": "1Z999",
        "event_id": "e1",
        "status": "in_transit",
        "occurred_at": "2026-11-20T10:00:00Z",
        **changes,
    }


@pytest.mark.parametrize(
    ("body", "status", "code", "field"),
    [
        (scan(status="teleported"), 400, "validation_error", "status"),
        (scan(occurred_at="yesterday"), 400, "validation_error", "occurred_at"),
        (scan(event_id="e" * 129), 400, "validation_error", "event_id"),
        (scan(tracking_number="UNKNOWN"), 404, "shipment_not_found", None),
        (scan(carrier="fedex"), 404, "shipment_not_found", None),
    ],
    ids=["unknown_status", "bad_time", "long_event_id", "unknown_tracking_number", "other_carrier"],
)
def test_bad_tracking_event_is_refused_and_changes_nothing(api, shipped, body, status, code, field):
    before = snapshot()
    assert_problem(api.post(TRACKING, body, format="json"), status, code, field)
    assert snapshot() == before


def test_path_with_a_nul_byte_is_404_not_a_server_error(api):
    assert api.get("/api/v1/orders/%00/").status_code == 404
    assert api.get("/api/v1/variants/A%00B/").status_code == 404


def test_method_the_endpoint_does_not_have_is_405(api):
    response = api.delete("/api/v1/orders/")
    assert response.status_code == 405
    assert response.json()["code"] == "method_not_allowed"


def test_customer_filter_beyond_a_bigint_is_a_400(api):
    response = api.get("/api/v1/orders/?customer_id=99999999999999999999999")
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "customer_id"


def test_service_refuses_non_finite_or_huge_amounts_with_field_errors(stocked_variant):
    from dataclasses import replace
    from decimal import Decimal

    from oms.exceptions import ValidationFailed
    from orders import services
    from tests.orders.builders import ACTOR, order_input

    data = replace(
        order_input([("TEE-M", 1)], shipping_price="1e30"),
        lines=[services.LineInput(sku="TEE-M", quantity=1, unit_price=Decimal("NaN"))],
    )
    with pytest.raises(ValidationFailed) as refused:
        services.place_order(data=data, actor=ACTOR)
    assert {e["field"] for e in refused.value.errors} == {"shipping_price", "lines.0.unit_price"}


def test_a_gateway_registered_after_import_is_accepted_by_the_next_request(monkeypatch):
    from orders import gateways
    from orders.api.views import OrderListCreateApi

    def payment_is_valid(gateway: str) -> bool:
        body = order_body([("TEE-M", 1)], payment={"gateway": gateway, "token": "x"})
        data = OrderListCreateApi.CreateInput(data=body)
        data.is_valid()
        return "payment" not in data.errors

    monkeypatch.setattr(gateways, "_registered", dict(gateways._registered))
    assert payment_is_valid("store_credit")  # registered by the returns app's ready()
    assert not payment_is_valid("later-pay")
    gateways.register_gateway("later-pay", gateways.get_gateway)
    assert payment_is_valid("later-pay")
