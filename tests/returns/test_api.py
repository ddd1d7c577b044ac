"""The returns API: creating a return on a customer's behalf (same policy and answers as the
portal), idempotency, refusals as 422 problem details, reading, the policy's eligibility and
estimates, scopes, list filters, pagination and query bounds."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from oms.models import IdempotencyRecord, Scope
from returns import policy
from returns.models import RequestedVia, ReturnRequest
from returns.policy import RequestedLine
from tests.factories import make_api_client
from tests.returns.lifecycle_builders import delivered_order, return_marks, store_policy

pytestmark = pytest.mark.django_db(transaction=True)

RETURNS = "/api/v1/returns/"
PROBLEM = "application/problem+json"


# --- helpers -----------------------------------------------------------------------------------


def body(order, lines=None, resolution="refund", **extra) -> dict:
    lines = lines or [{"line_number": 1, "quantity": 1, "reason": "size_too_small"}]
    return {"order": order.number, "resolution": resolution, "lines": lines, **extra}


def create(api, idem, payload, status=201) -> dict:
    response = api.post(RETURNS, payload, format="json", **idem())
    assert response.status_code == status, response.content
    return response.json()


def client_with(scopes: list[str], name: str = "scoped") -> APIClient:
    _, token = make_api_client(name, scopes=scopes)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


def assert_problem(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == PROBLEM
    body = response.json()
    assert body["status"] == status
    assert body["code"] == code, body
    return body


def fields(problem: dict) -> set[tuple[str, str]]:
    return {(error["field"], error["code"]) for error in problem.get("errors", [])}


@pytest.fixture
def order():
    store_policy()
    return delivered_order((("TEE-M", 2), ("CAP", 1)))


# --- authentication and scopes ---------------------------------------------------------------

ENDPOINTS = [
    ("get", RETURNS, Scope.RETURNS_READ),
    ("post", RETURNS, Scope.RETURNS_WRITE),
    ("post", f"{RETURNS}estimate/", Scope.RETURNS_READ),
    ("get", "/api/v1/orders/100001/returns/eligibility/", Scope.RETURNS_READ),
    ("get", f"{RETURNS}RMA-X/", Scope.RETURNS_READ),
    ("get", f"{RETURNS}RMA-X/label.pdf", Scope.RETURNS_READ),
    ("post", f"{RETURNS}RMA-X/approve/", Scope.RETURNS_WRITE),
    ("post", f"{RETURNS}RMA-X/reject/", Scope.RETURNS_WRITE),
    ("post", f"{RETURNS}RMA-X/cancel/", Scope.RETURNS_WRITE),
    ("post", f"{RETURNS}RMA-X/refund/", Scope.RETURNS_WRITE),
    ("post", f"{RETURNS}RMA-X/receive/", Scope.RETURNS_RECEIVE),
    ("post", f"{RETURNS}RMA-X/inspect/", Scope.RETURNS_RECEIVE),
    ("post", "/api/v1/return-tracking-events/", Scope.TRACKING_WRITE),
]
ENDPOINT_IDS = [f"{method} {path}" for method, path, _scope in ENDPOINTS]


@pytest.mark.parametrize(("method", "path", "scope"), ENDPOINTS, ids=ENDPOINT_IDS)
def test_every_returns_endpoint_needs_a_token(db, idem, method, path, scope):
    response = getattr(APIClient(), method)(path, {}, format="json", **idem())
    assert_problem(response, 401, "not_authenticated")
    assert response["WWW-Authenticate"] == "Bearer"


@pytest.mark.parametrize(("method", "path", "scope"), ENDPOINTS, ids=ENDPOINT_IDS)
def test_every_returns_endpoint_needs_its_scope(db, idem, method, path, scope):
    client = client_with([s for s in Scope.values if s != scope])
    response = getattr(client, method)(path, {}, format="json", **idem())
    problem = assert_problem(response, 403, "permission_denied")
    assert scope in problem["detail"]


def test_a_token_with_only_orders_scopes_cannot_create_or_read_returns(order, idem):
    client = client_with([Scope.ORDERS_READ, Scope.ORDERS_WRITE])
    before = return_marks()
    assert client.get(RETURNS).status_code == 403
    assert client.post(RETURNS, body(order), format="json", **idem()).status_code == 403
    assert return_marks() == before


# --- create --------------------------------------------------------------------------------------


def test_create_answers_201_with_the_policys_figures_and_names_the_client(api, idem, order):
    line = order.lines.get(sku="TEE-M")
    expected = policy.estimate(
        order,
        [RequestedLine(order_line_id=line.pk, quantity=2, reason="no_longer_wanted")],
        resolution="refund",
    )
    assert expected.is_valid, expected.errors

    created = create(
        api,
        idem,
        body(
            order,
            [{"sku": "TEE-M", "quantity": 2, "reason": "no_longer_wanted", "comment": "too big"}],
            note="Customer called the store.",
        ),
    )

    assert created["rma"]
    assert created["order"] == order.number
    assert created["status"] == "approved"  # no review rule for this reason
    assert created["requested_via"] == "api"
    assert created["requested_by"] == {"kind": "api_client", "label": "test-client"}
    assert created["amounts"]["items_amount"] == str(expected.items_amount) == "40.00"
    assert created["amounts"]["restocking_fee"] == str(expected.restocking_fee) == "4.00"
    assert created["amounts"]["estimated_total"] == str(expected.total)
    assert created["refund_release"] == expected.refund_release
    assert created["note"] == "Customer called the store."
    [returned] = created["lines"]
    assert returned["sku"] == "TEE-M"
    assert returned["line_number"] == line.line_number
    assert returned["quantity"] == 2
    assert returned["comment"] == "too big"
    assert returned["condition"] is None and returned["disposition"] is None
    assert created["tracking_number"]
    assert created["label_url"].endswith(f"/api/v1/returns/{created['rma']}/label.pdf")
    assert [event["type"] for event in created["timeline"]][:2] == ["requested", "approved"]
    assert created["timeline"][0]["actor"] == {"kind": "api_client", "label": "test-client"}

    stored = ReturnRequest.objects.get(rma=created["rma"])
    assert stored.requested_via == RequestedVia.API
    assert stored.actor_kind == "api_client" and stored.actor_api_client_id is not None


def test_a_return_that_needs_review_waits_as_requested(api, idem, order):
    created = create(api, idem, body(order, [{"line_number": 1, "quantity": 1, "reason": "other"}]))
    assert created["status"] == "requested"
    assert created["label_url"] is None
    assert created["tracking_number"] == ""


def test_a_retried_create_replays_the_first_answer_and_creates_one_return(api, idem, order):
    key = idem()
    first = api.post(RETURNS, body(order), format="json", **key)
    again = api.post(RETURNS, body(order), format="json", **key)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert ReturnRequest.objects.count() == 1


def test_the_same_key_with_another_body_is_a_422_that_creates_nothing(api, idem, order):
    key = idem()
    create(api, lambda: key, body(order))
    before = return_marks()
    other = body(order, [{"line_number": 2, "quantity": 1, "reason": "size_too_small"}])
    response = api.post(RETURNS, other, format="json", **key)
    assert_problem(response, 422, "idempotency_key_reused")
    assert return_marks() == before


def test_a_create_without_idempotency_key_is_refused(api, order):
    response = api.post(RETURNS, body(order), format="json")
    assert_problem(response, 400, "idempotency_key_required")
    assert ReturnRequest.objects.count() == 0


def test_more_units_than_returnable_is_a_422_pointing_at_the_line_and_writes_nothing(
    api, idem, order
):
    before = return_marks()
    payload = body(
        order,
        [
            {"line_number": 1, "quantity": 1, "reason": "size_too_small"},
            {"sku": "CAP", "quantity": 5, "reason": "size_too_small"},
        ],
    )
    response = api.post(RETURNS, payload, format="json", **idem())
    problem = assert_problem(response, 422, "return_not_allowed")
    assert ("lines.1.quantity", "too_many_units") in fields(problem)
    assert all(error["message"] for error in problem["errors"])
    assert return_marks() == before
    assert IdempotencyRecord.objects.count() == 0  # the client may fix the body, same key


def test_a_missing_reason_and_a_foreign_exchange_variant_are_field_errors(api, idem, order):
    before = return_marks()
    payload = body(
        order,
        [{"line_number": 1, "quantity": 1, "exchange_sku": "CAP"}],
        resolution="exchange",
    )
    problem = assert_problem(
        api.post(RETURNS, payload, format="json", **idem()), 422, "return_not_allowed"
    )
    assert ("lines.0.reason", "reason_required") in fields(problem)
    assert ("lines.0.exchange_sku", "invalid_exchange_variant") in fields(problem)
    assert return_marks() == before


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        (
            [{"line_number": 9, "quantity": 1, "reason": "other"}],
            ("lines.0.line_number", "unknown_line"),
        ),
        ([{"sku": "NOPE", "quantity": 1, "reason": "other"}], ("lines.0.sku", "unknown_line")),
        (
            [{"line_number": 1, "sku": "CAP", "quantity": 1, "reason": "other"}],
            ("lines.0.sku", "sku_mismatch"),
        ),
        (
            [
                {"line_number": 1, "quantity": 1, "reason": "other"},
                {"sku": "TEE-M", "quantity": 1, "reason": "other"},
            ],
            ("lines.1", "duplicate_line"),
        ),
        (
            [{"line_number": 1, "quantity": 1, "reason": "other", "exchange_sku": "NOPE"}],
            ("lines.0.exchange_sku", "unknown_sku"),
        ),
    ],
    ids=["unknown_line_number", "unknown_sku", "sku_mismatch", "duplicate", "unknown_exchange"],
)
def test_lines_the_order_does_not_have_are_422_with_their_paths(api, idem, order, lines, expected):
    before = return_marks()
    response = api.post(RETURNS, body(order, lines), format="json", **idem())
    problem = assert_problem(response, 422, "invalid_return_lines")
    assert expected in fields(problem)
    assert return_marks() == before


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"resolution": "refund", "lines": [{"line_number": 1, "quantity": 1}]}, "order"),
        ({"resolution": "cash"}, "resolution"),
        ({"lines": []}, "lines"),
        ({"lines": [{"quantity": 1, "reason": "other"}]}, "lines.0.line_number"),
        ({"lines": [{"line_number": 1, "quantity": 0, "reason": "other"}]}, "lines.0.quantity"),
        ({"lines": [{"line_number": 1, "quantity": 1, "reason": "bored"}]}, "lines.0.reason"),
    ],
    ids=["no_order", "bad_resolution", "no_lines", "unnamed_line", "zero_quantity", "bad_reason"],
)
def test_malformed_bodies_are_400_with_field_errors(api, idem, order, payload, field):
    values = {**body(order), **payload}
    if "order" not in payload and field == "order":
        values.pop("order")
    response = api.post(RETURNS, values, format="json", **idem())
    problem = assert_problem(response, 400, "validation_error")
    assert field in {error["field"] for error in problem["errors"]}
    assert ReturnRequest.objects.count() == 0


def test_unknown_order_is_404(api, idem, order):
    response = api.post(RETURNS, {**body(order), "order": "999999999"}, format="json", **idem())
    assert_problem(response, 404, "order_not_found")
    assert ReturnRequest.objects.count() == 0


def test_a_withdrawal_needs_no_reason(api, idem):
    store_policy()
    order = delivered_order((("TEE-M", 1),), country="BR")
    created = create(
        api,
        idem,
        body(order, [{"line_number": 1, "quantity": 1}], is_withdrawal=True),
    )
    assert created["is_withdrawal"] is True
    assert created["lines"][0]["reason"] == "withdrawal"
    assert "withdrawal_acknowledged" in [event["type"] for event in created["timeline"]]


# --- read --------------------------------------------------------------------------------------


def test_another_api_client_reads_the_return(api, idem, order):
    """Returns belong to the store, as orders do: any client with returns:read sees them."""
    created = create(api, idem, body(order))
    other = client_with([Scope.RETURNS_READ], name="warehouse-wms")
    response = other.get(f"{RETURNS}{created['rma']}/")
    assert response.status_code == 200
    assert response.json()["rma"] == created["rma"]
    assert [r["rma"] for r in other.get(RETURNS).json()["results"]] == [created["rma"]]


def test_the_rma_is_found_whatever_its_case(api, idem, order):
    created = create(api, idem, body(order))
    response = api.get(f"{RETURNS}{created['rma'].lower()}/")
    assert response.status_code == 200
    assert response.json()["rma"] == created["rma"]


def test_unknown_rma_is_404(api):
    assert_problem(api.get(f"{RETURNS}RMA-NOPE/"), 404, "return_not_found")


def test_the_label_is_a_pdf(api, idem, order):
    created = create(api, idem, body(order))
    response = api.get(f"{RETURNS}{created['rma']}/label.pdf", HTTP_ACCEPT="application/pdf")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert created["rma"] in response["Content-Disposition"]


def test_a_return_waiting_for_review_has_no_label_yet(api, idem, order):
    created = create(api, idem, body(order, [{"line_number": 1, "quantity": 1, "reason": "other"}]))
    problem = assert_problem(
        api.get(f"{RETURNS}{created['rma']}/label.pdf"), 409, "return_has_no_label"
    )
    assert problem["current_status"] == "requested"


def test_return_detail_costs_the_same_queries_whatever_the_number_of_lines(
    api, idem, django_assert_max_num_queries
):
    store_policy()
    skus = tuple((f"SKU-{i}", 1) for i in range(8))
    order = delivered_order(skus)
    lines = [{"sku": sku, "quantity": 1, "reason": "size_too_small"} for sku, _q in skus]
    small = create(api, idem, body(order, lines[:1]))
    large = create(api, idem, body(order, lines[1:]))

    def queries(rma: str) -> int:
        with CaptureQueriesContext(connection) as captured:
            assert api.get(f"{RETURNS}{rma}/").status_code == 200
        return len(captured)

    # The API client, the return (with its order, customer, warehouse and exchange order),
    # its lines, their photos, its timeline and its refunds: all prefetched by the selector.
    with django_assert_max_num_queries(6):
        api.get(f"{RETURNS}{large['rma']}/")
    assert queries(small["rma"]) == queries(large["rma"])


# --- eligibility and estimate -------------------------------------------------------------------


def test_eligibility_says_what_the_policy_says_for_each_line(api, order):
    decision = policy.evaluate_order(order)
    response = api.get(f"/api/v1/orders/{order.number}/returns/eligibility/")
    assert response.status_code == 200, response.content
    answer = response.json()
    assert answer["order"] == order.number
    assert answer["currency"] == "USD"
    assert answer["has_returnable_lines"] is True
    assert [
        (line["sku"], line["returnable_quantity"], line["code"], line["is_returnable"])
        for line in answer["lines"]
    ] == [
        (d.order_line.sku, d.returnable_quantity, d.code, d.is_returnable) for d in decision.lines
    ]
    assert all(line["explanation"] and line["window_ends_at"] for line in answer["lines"])
    assert [r["code"] for r in answer["resolutions"]] == list(decision.resolutions)
    reasons = {reason["code"]: reason for reason in answer["reasons"]}
    assert reasons["other"]["requires_review"] is True
    assert reasons["damaged"]["requires_photo"] is True
    assert reasons["damaged"]["keep_it_max_amount"] == "25.00"
    assert answer["withdrawal"] is None  # a US customer


def test_eligibility_shows_units_already_in_a_return(api, idem, order):
    create(api, idem, body(order, [{"sku": "TEE-M", "quantity": 2, "reason": "other"}]))
    lines = api.get(f"/api/v1/orders/{order.number}/returns/eligibility/").json()["lines"]
    tee = next(line for line in lines if line["sku"] == "TEE-M")
    assert tee["returnable_quantity"] == 0
    assert tee["is_returnable"] is False


def test_eligibility_of_a_brazilian_order_shows_the_withdrawal_right(api):
    store_policy()
    order = delivered_order((("TEE-M", 1),), country="BR")
    answer = api.get(f"/api/v1/orders/{order.number}/returns/eligibility/").json()
    assert answer["withdrawal"]["code"] == "br_cdc_49"
    assert answer["withdrawal"]["days"] == 7
    assert answer["withdrawal"]["is_open"] is True


def test_eligibility_of_an_unknown_order_is_404(api, db):
    assert_problem(api.get("/api/v1/orders/999999999/returns/eligibility/"), 404, "order_not_found")


def test_estimate_prices_a_proposal_and_writes_nothing(api, order):
    before = return_marks()
    payload = body(order, [{"sku": "TEE-M", "quantity": 2, "reason": "no_longer_wanted"}])
    response = api.post(f"{RETURNS}estimate/", payload, format="json")
    assert response.status_code == 200, response.content
    estimate = response.json()
    assert estimate["is_valid"] is True and estimate["errors"] == []
    assert estimate["items_amount"] == "40.00"
    assert estimate["restocking_fee"] == "4.00"
    assert Decimal(estimate["total"]) == Decimal("36.00") - Decimal(estimate["return_shipping_fee"])
    assert estimate["lines"][0]["sku"] == "TEE-M"
    assert estimate["lines"][0]["amount"] == "40.00"
    assert return_marks() == before

    created = create(api, lambda: {"HTTP_IDEMPOTENCY_KEY": "same-as-estimate"}, payload)
    assert created["amounts"]["estimated_total"] == estimate["total"]


def test_estimate_reports_what_the_policy_refuses_with_body_paths(api, order):
    payload = body(order, [{"sku": "CAP", "quantity": 3, "reason": "size_too_small"}])
    estimate = api.post(f"{RETURNS}estimate/", payload, format="json").json()
    assert estimate["is_valid"] is False
    assert ("lines.0.quantity", "too_many_units") in fields(estimate)


def test_estimate_of_lines_the_order_does_not_have_is_422(api, order):
    payload = body(order, [{"sku": "NOPE", "quantity": 1, "reason": "other"}])
    response = api.post(f"{RETURNS}estimate/", payload, format="json")
    assert ("lines.0.sku", "unknown_line") in fields(
        assert_problem(response, 422, "invalid_return_lines")
    )


# --- list --------------------------------------------------------------------------------------


def test_list_filters_and_paginates_newest_first(api, idem):
    store_policy()
    first_order = delivered_order((("TEE-M", 3), ("CAP", 1)))
    refund = create(
        api, idem, body(first_order, [{"sku": "TEE-M", "quantity": 1, "reason": "size_too_small"}])
    )
    review = create(
        api, idem, body(first_order, [{"sku": "CAP", "quantity": 1, "reason": "other"}])
    )
    credit = create(
        api,
        idem,
        body(
            first_order,
            [{"sku": "TEE-M", "quantity": 1, "reason": "size_too_small"}],
            resolution="store_credit",
        ),
    )

    def rmas(query: str) -> list[str]:
        response = api.get(f"{RETURNS}{query}")
        assert response.status_code == 200, response.content
        return [r["rma"] for r in response.json()["results"]]

    everything = [credit["rma"], review["rma"], refund["rma"]]
    assert rmas("") == everything
    assert rmas("?status=requested") == [review["rma"]]
    assert rmas("?status=approved") == [credit["rma"], refund["rma"]]
    assert rmas("?resolution=store_credit") == [credit["rma"]]
    assert rmas(f"?order={first_order.number}") == everything
    assert rmas("?order=999999999") == []
    assert rmas(f"?email={first_order.email.upper()}") == everything
    assert rmas("?email=nobody@example.com") == []
    assert rmas(f"?warehouse={refund['warehouse']}") == everything
    assert rmas("?warehouse=NOPE") == []
    assert rmas("?created_after=2000-01-01T00:00:00Z&created_before=2999-01-01T00:00:00Z") == (
        everything
    )
    assert rmas("?created_after=2999-01-01T00:00:00Z") == []

    page = api.get(f"{RETURNS}?limit=2").json()
    assert [r["rma"] for r in page["results"]] == everything[:2]
    assert "count" not in page
    rest = api.get(page["next"]).json()
    assert [r["rma"] for r in rest["results"]] == everything[2:]
    summary = page["results"][0]
    assert summary["order"] == first_order.number
    assert summary["email"] == first_order.email
    assert summary["estimated_total"] == credit["amounts"]["estimated_total"]


def test_bad_list_filters_are_400_with_field_errors(api, db):
    response = api.get(f"{RETURNS}?status=lost&resolution=cash&created_after=yesterday")
    problem = assert_problem(response, 400, "validation_error")
    assert {e["field"] for e in problem["errors"]} == {"status", "resolution", "created_after"}


def test_the_list_costs_a_bounded_number_of_queries(api, idem, django_assert_max_num_queries):
    store_policy()
    order = delivered_order((("TEE-M", 6),))
    for _ in range(6):
        create(
            api, idem, body(order, [{"sku": "TEE-M", "quantity": 1, "reason": "size_too_small"}])
        )

    def queries(limit: int) -> int:
        with CaptureQueriesContext(connection) as captured:
            assert len(api.get(f"{RETURNS}?limit={limit}").json()["results"]) == limit
        return len(captured)

    with django_assert_max_num_queries(6):
        api.get(RETURNS)
    assert queries(2) == queries(6)
