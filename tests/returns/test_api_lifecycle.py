"""The returns API moves returns and money: review (approve, reject, cancel), carrier scans of
return parcels, receipt and inspection by a WMS, refunds; each write is the API client's, is
safe to retry, and a refusal changes nothing."""

from decimal import Decimal

import pytest

from oms.models import Scope
from orders.models import Order, Payment, Stock
from returns.models import ReturnEvent, ReturnRefund, ReturnRequest
from tests.factories import StockFactory, VariantFactory
from tests.returns.lifecycle_builders import delivered_order, return_marks, store_policy
from tests.returns.test_api import RETURNS, assert_problem, body, client_with, create, fields

pytestmark = pytest.mark.django_db(transaction=True)

SCANS = "/api/v1/return-tracking-events/"


@pytest.fixture
def order():
    store_policy()
    return delivered_order((("TEE-M", 2), ("CAP", 1)))


def post(api, path: str, payload: dict, key: dict | None = None):
    return api.post(path, payload, format="json", **(key or {}))


def refunded(order: Order) -> Decimal:
    return sum(p.amount_refunded for p in Payment.objects.filter(order=order))


def approved_return(api, idem, order, lines=None, **extra) -> dict:
    lines = lines or [{"sku": "TEE-M", "quantity": 2, "reason": "size_too_small"}]
    created = create(api, idem, body(order, lines, **extra))
    assert created["status"] == "approved", created
    return created


def scan(api, tracking_number: str, event_id: str = "scan-1", status: str = "picked_up"):
    return post(
        api,
        SCANS,
        {
            "carrier": "returns-post",
            "tracking_number": tracking_number,
            "event_id": event_id,
            "status": status,
            "occurred_at": "2026-11-21T10:00:00Z",
            "location": "Newark, NJ",
        },
    )


def receive_all(api, idem, created: dict, condition: str = "as_new"):
    lines = [
        {"line_id": line["id"], "quantity": line["quantity"], "condition": condition}
        for line in created["lines"]
    ]
    return post(api, f"{RETURNS}{created['rma']}/receive/", {"lines": lines}, idem())


# --- review --------------------------------------------------------------------------------------


def test_approve_a_return_waiting_for_review_gives_it_a_label(api, idem, order):
    created = create(api, idem, body(order, [{"line_number": 1, "quantity": 1, "reason": "other"}]))
    assert created["status"] == "requested"
    response = post(api, f"{RETURNS}{created['rma']}/approve/", {"reason": "photos look fine"})
    assert response.status_code == 200, response.content
    approved = response.json()
    assert approved["status"] == "approved"
    assert approved["decision_reason"] == "photos look fine"
    assert approved["tracking_number"] and approved["label_url"]
    event = approved["timeline"][-2]  # approved, then label_created
    assert (event["type"], event["actor"]["kind"]) == ("approved", "api_client")

    again = post(api, f"{RETURNS}{created['rma']}/approve/", {})
    assert again.status_code == 200
    assert ReturnEvent.objects.filter(type="approved").count() == 1


def test_reject_needs_a_reason_and_then_tells_the_customer(api, idem, order):
    created = create(api, idem, body(order, [{"line_number": 1, "quantity": 1, "reason": "other"}]))
    path = f"{RETURNS}{created['rma']}/reject/"
    before = return_marks()
    for payload in ({}, {"reason": ""}):
        problem = assert_problem(post(api, path, payload), 400, "validation_error")
        assert "reason" in {error["field"] for error in problem["errors"]}
    assert return_marks() == before

    rejected = post(api, path, {"reason": "Worn items cannot be returned"}).json()
    assert rejected["status"] == "rejected"
    assert rejected["decision_reason"] == "Worn items cannot be returned"


def test_rejecting_an_approved_return_is_a_409_that_changes_nothing(api, idem, order):
    created = approved_return(api, idem, order)
    before = return_marks()
    response = post(api, f"{RETURNS}{created['rma']}/reject/", {"reason": "too late"})
    assert_problem(response, 409, "return_not_rejectable")
    assert return_marks() == before
    assert ReturnRequest.objects.get(rma=created["rma"]).status == "approved"


def test_cancel_before_the_parcel_ships_but_not_after(api, idem, order):
    first = approved_return(
        api, idem, order, [{"sku": "CAP", "quantity": 1, "reason": "size_too_small"}]
    )
    cancelled = post(api, f"{RETURNS}{first['rma']}/cancel/", {"reason": "changed mind"})
    assert cancelled.status_code == 200, cancelled.content
    assert cancelled.json()["status"] == "cancelled"

    second = approved_return(api, idem, order)
    assert scan(api, second["tracking_number"]).status_code == 200
    before = return_marks()
    assert_problem(
        post(api, f"{RETURNS}{second['rma']}/cancel/", {}), 409, "return_not_cancellable"
    )
    assert return_marks() == before


def test_review_actions_on_an_unknown_rma_are_404(api, db):
    for action in ("approve", "cancel"):
        assert_problem(post(api, f"{RETURNS}RMA-NOPE/{action}/", {}), 404, "return_not_found")


# --- carrier scans ------------------------------------------------------------------------------


def test_the_first_carrier_scan_puts_the_return_in_transit_once(api, idem, order):
    created = approved_return(api, idem, order)
    response = scan(api, created["tracking_number"])
    assert response.status_code == 200, response.content
    assert response.json()["rma"] == created["rma"]
    assert response.json()["status"] == "in_transit"
    assert scan(api, created["tracking_number"]).status_code == 200  # the carrier retries
    assert ReturnEvent.objects.filter(type="in_transit").count() == 1
    detail = api.get(f"{RETURNS}{created['rma']}/").json()
    assert detail["shipped_at"].startswith("2026-11-21T10:00:00")
    assert detail["timeline"][-1]["data"]["location"] == "Newark, NJ"


def test_a_scan_of_an_unknown_parcel_is_404_and_stores_nothing(api, db):
    before = return_marks()
    assert_problem(scan(api, "NO-SUCH-PARCEL"), 404, "return_not_found")
    assert return_marks() == before


def test_a_malformed_scan_is_400(api, db):
    response = post(api, SCANS, {"tracking_number": "X", "status": "lost"})
    problem = assert_problem(response, 400, "validation_error")
    assert {"carrier", "event_id", "status", "occurred_at"} <= {
        e["field"] for e in problem["errors"]
    }


# --- receipt, inspection and money --------------------------------------------------------------


def test_receiving_through_the_api_moves_the_return_and_refunds_the_payment(api, idem, order):
    created = approved_return(api, idem, order)
    assert refunded(order) == 0
    wms = client_with([Scope.RETURNS_RECEIVE, Scope.RETURNS_READ], name="wms")
    key = idem()

    response = receive_all(wms, lambda: key, created)

    assert response.status_code == 200, response.content
    received = response.json()
    assert received["status"] == "refunded"  # the policy releases on receipt; all units came
    assert received["lines"][0]["quantity_received"] == 2
    assert received["lines"][0]["condition"] == "as_new"
    assert received["amounts"]["refunded_amount"] == created["amounts"]["estimated_total"]
    [refund] = received["refunds"]
    assert refund["kind"] == "refund"
    assert refund["actor"] == {"kind": "api_client", "label": "wms"}
    assert refunded(order) == Decimal(created["amounts"]["estimated_total"])
    assert order.lines.get(sku="TEE-M").quantity_returned == 2

    replay = receive_all(wms, lambda: key, created)
    assert replay.status_code == 200
    assert replay["Idempotent-Replayed"] == "true"
    assert ReturnRefund.objects.count() == 1
    assert refunded(order) == Decimal(created["amounts"]["estimated_total"])


def test_a_partial_receipt_by_sku_refunds_only_what_arrived(api, idem, order):
    created = approved_return(api, idem, order)
    response = post(
        api,
        f"{RETURNS}{created['rma']}/receive/",
        {"lines": [{"sku": "TEE-M", "quantity": 1, "condition": "opened"}]},
        idem(),
    )
    assert response.status_code == 200, response.content
    partial = response.json()
    assert partial["status"] == "received"
    assert Decimal(partial["amounts"]["refunded_amount"]) == Decimal("20.00")
    assert refunded(order) == Decimal("20.00")


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (
            {"line_id": 999999, "quantity": 1, "condition": "as_new"},
            ("lines.0.line_id", "unknown_line"),
        ),
        ({"sku": "CAP", "quantity": 1, "condition": "as_new"}, ("lines.0.sku", "unknown_line")),
        (
            {"sku": "TEE-M", "quantity": 3, "condition": "as_new"},
            ("lines.0.quantity", "quantity_not_receivable"),
        ),
    ],
    ids=["unknown_line_id", "sku_not_in_return", "too_many_units"],
)
def test_a_receipt_the_return_cannot_take_is_422_and_changes_nothing(
    api, idem, order, line, expected
):
    created = approved_return(api, idem, order)
    before = return_marks()
    response = post(api, f"{RETURNS}{created['rma']}/receive/", {"lines": [line]}, idem())
    problem = assert_problem(response, 422, response.json()["code"])
    assert expected in fields(problem)
    assert return_marks() == before
    assert refunded(order) == 0


def test_receiving_a_return_still_under_review_is_a_409(api, idem, order):
    created = create(api, idem, body(order, [{"line_number": 1, "quantity": 1, "reason": "other"}]))
    before = return_marks()
    response = receive_all(api, idem, created)
    assert_problem(response, 409, "return_not_receivable")
    assert return_marks() == before


def test_receive_needs_an_idempotency_key(api, idem, order):
    created = approved_return(api, idem, order)
    response = post(
        api,
        f"{RETURNS}{created['rma']}/receive/",
        {"lines": [{"sku": "TEE-M", "quantity": 1, "condition": "as_new"}]},
    )
    assert_problem(response, 400, "idempotency_key_required")


def test_inspection_restocks_at_the_receiving_warehouse(api, idem, order):
    created = approved_return(api, idem, order)
    assert receive_all(api, idem, created).status_code == 200
    stock = Stock.objects.get(variant__sku="TEE-M", warehouse__code=created["warehouse"])
    on_hand = stock.on_hand

    line_id = created["lines"][0]["id"]
    response = post(
        api,
        f"{RETURNS}{created['rma']}/inspect/",
        {"lines": [{"line_id": line_id, "disposition": "restock"}]},
        idem(),
    )

    assert response.status_code == 200, response.content
    inspected = response.json()
    assert inspected["lines"][0]["disposition"] == "restock"
    assert inspected["lines"][0]["quantity_restocked"] == 2
    assert inspected["inspected_at"]
    stock.refresh_from_db()
    assert stock.on_hand == on_hand + 2


def test_money_waits_for_inspection_when_the_policy_says_so(api, idem):
    store_policy(refund_release="inspection")
    order = delivered_order((("TEE-M", 2),))
    created = approved_return(api, idem, order)
    received = receive_all(api, idem, created, condition="damaged").json()
    assert received["status"] == "received"
    assert received["refunds"] == [] and refunded(order) == 0

    nothing_yet = post(api, f"{RETURNS}{created['rma']}/refund/", {}, idem())
    assert nothing_yet.status_code == 200, nothing_yet.content
    assert nothing_yet.json()["refunds"] == [] and refunded(order) == 0

    inspected = post(
        api,
        f"{RETURNS}{created['rma']}/inspect/",
        {"lines": [{"sku": "TEE-M", "disposition": "damaged"}]},
        idem(),
    ).json()
    assert inspected["status"] == "refunded"
    assert refunded(order) == Decimal(created["amounts"]["estimated_total"])


def test_inspecting_before_receipt_is_refused_and_changes_nothing(api, idem, order):
    created = approved_return(api, idem, order)
    before = return_marks()
    response = post(
        api,
        f"{RETURNS}{created['rma']}/inspect/",
        {"lines": [{"sku": "TEE-M", "disposition": "restock"}]},
        idem(),
    )
    problem = assert_problem(response, 409, "return_not_inspectable")
    assert problem["current_status"] == "approved"
    assert return_marks() == before


def test_release_refund_is_idempotent_once_everything_was_paid(api, idem, order):
    created = approved_return(api, idem, order)
    receive_all(api, idem, created)
    paid = refunded(order)
    for _ in range(2):
        response = post(api, f"{RETURNS}{created['rma']}/refund/", {}, idem())
        assert response.status_code == 200, response.content
    assert ReturnRefund.objects.count() == 1
    assert refunded(order) == paid


def test_a_staff_refund_of_an_amount_moves_money_once_per_key(api, idem, order):
    created = create(api, idem, body(order, [{"line_number": 1, "quantity": 2, "reason": "other"}]))
    post(api, f"{RETURNS}{created['rma']}/approve/", {})
    key = idem()
    payload = {"amount": "15.00", "reason": "Goodwill: the parcel was lost"}

    first = post(api, f"{RETURNS}{created['rma']}/refund/", payload, key)
    again = post(api, f"{RETURNS}{created['rma']}/refund/", payload, key)

    assert first.status_code == again.status_code == 200, first.content
    assert again.json() == first.json()
    assert first.json()["amounts"]["refunded_amount"] == "15.00"
    assert ReturnRefund.objects.get().amount == Decimal("15.00")
    assert refunded(order) == Decimal("15.00")


def test_a_staff_refund_needs_a_reason_and_stays_within_the_return(api, idem, order):
    created = approved_return(api, idem, order)
    path = f"{RETURNS}{created['rma']}/refund/"
    before = return_marks()
    problem = assert_problem(post(api, path, {"amount": "5.00"}, idem()), 400, "validation_error")
    assert "reason" in {error["field"] for error in problem["errors"]}
    too_much = post(api, path, {"amount": "500.00", "reason": "oops"}, idem())
    refused = assert_problem(too_much, 409, "refund_exceeds_return")
    # The minor unit as text, in the body and the message, never a JSON float nor "40.000".
    assert refused["limit"] == created["amounts"]["estimated_total"] == "40.00"
    assert "40.00 USD" in refused["detail"]
    assert return_marks() == before
    assert refunded(order) == 0


# --- exchanges -----------------------------------------------------------------------------------


def test_an_exchange_through_the_api_places_the_replacement_order(api, idem, order):
    tee = order.lines.get(sku="TEE-M")
    larger = VariantFactory(sku="TEE-L", product=tee.variant.product, price=tee.unit_price)
    StockFactory(variant=larger, warehouse=order.shipments.first().warehouse, on_hand=5)
    created = approved_return(
        api,
        idem,
        order,
        [{"sku": "TEE-M", "quantity": 1, "reason": "size_too_small", "exchange_sku": "TEE-L"}],
        resolution="exchange",
    )
    assert created["lines"][0]["exchange_sku"] == "TEE-L"

    exchanged = receive_all(api, idem, created).json()

    assert exchanged["status"] == "exchanged", exchanged
    replacement = Order.objects.get(number=exchanged["exchange_order"])
    assert replacement.channel == Order.Channel.EXCHANGE
    assert [(line.sku, line.quantity) for line in replacement.lines.all()] == [("TEE-L", 1)]
