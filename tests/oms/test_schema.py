"""The OpenAPI schema documents every endpoint, and generates without warnings."""

import pytest
from django.core.management import call_command

EXPECTED = {
    ("/api/v1/orders/", "get"),
    ("/api/v1/orders/", "post"),
    ("/api/v1/orders/{number}/", "get"),
    ("/api/v1/orders/{number}/cancel/", "post"),
    ("/api/v1/orders/{number}/hold/", "post"),
    ("/api/v1/orders/{number}/release/", "post"),
    ("/api/v1/orders/{number}/shipments/", "post"),
    ("/api/v1/shipments/{number}/", "get"),
    ("/api/v1/shipments/{number}/pick/", "post"),
    ("/api/v1/shipments/{number}/pack/", "post"),
    ("/api/v1/shipments/{number}/ship/", "post"),
    ("/api/v1/tracking-events/", "post"),
    ("/api/v1/products/", "get"),
    ("/api/v1/products/{product_id}/", "get"),
    ("/api/v1/variants/{sku}/", "get"),
    ("/api/v1/warehouses/", "get"),
    ("/api/v1/orders/{number}/edits/preview/", "post"),
    ("/api/v1/orders/{number}/edits/", "post"),
    ("/api/v1/stock/", "get"),
    ("/api/v1/stock/adjustments/", "post"),
    ("/api/v1/customers/", "get"),
    ("/api/v1/customers/{customer_id}/", "get"),
    ("/api/v1/webhook-endpoints/", "get"),
    ("/api/v1/webhook-endpoints/", "post"),
    ("/api/v1/webhook-endpoints/{endpoint_id}/", "get"),
    ("/api/v1/webhook-endpoints/{endpoint_id}/", "patch"),
    ("/api/v1/webhook-endpoints/{endpoint_id}/", "delete"),
    ("/api/v1/webhook-endpoints/{endpoint_id}/rotate-secret/", "post"),
    ("/api/v1/webhook-endpoints/{endpoint_id}/deliveries/", "get"),
    ("/api/v1/webhook-deliveries/{delivery_id}/replay/", "post"),
    # Returns (returns/api)
    ("/api/v1/returns/", "get"),
    ("/api/v1/returns/", "post"),
    ("/api/v1/returns/estimate/", "post"),
    ("/api/v1/orders/{number}/returns/eligibility/", "get"),
    ("/api/v1/returns/{rma}/", "get"),
    ("/api/v1/returns/{rma}/label.pdf", "get"),
    ("/api/v1/returns/{rma}/approve/", "post"),
    ("/api/v1/returns/{rma}/reject/", "post"),
    ("/api/v1/returns/{rma}/cancel/", "post"),
    ("/api/v1/returns/{rma}/receive/", "post"),
    ("/api/v1/returns/{rma}/inspect/", "post"),
    ("/api/v1/returns/{rma}/refund/", "post"),
    ("/api/v1/return-tracking-events/", "post"),
    # Insights (insights/api)
    ("/api/v1/insights/measures/", "get"),
    ("/api/v1/insights/measures/{code}/", "get"),
    ("/api/v1/insights/measures/{code}/orders/", "get"),
    ("/api/v1/insights/alerts/", "get"),
    # Feedback (feedback/api)
    ("/api/v1/products/{product_id}/reviews/", "get"),
    ("/api/v1/products/{product_id}/rating/", "get"),
    ("/api/v1/reviews/", "get"),
    ("/api/v1/reviews/{review_id}/photos/{photo_id}/", "get"),
    ("/api/v1/referrals/", "post"),
    ("/api/v1/referrals/code/", "get"),
}


@pytest.mark.django_db
def test_schema_lists_every_endpoint_with_its_security(client):
    response = client.get("/api/schema/?format=json")
    assert response.status_code == 200
    schema = response.json()
    operations = {(path, method) for path, item in schema["paths"].items() for method in item}
    assert operations == EXPECTED
    assert schema["components"]["securitySchemes"]["ApiToken"]["scheme"] == "bearer"
    create = schema["paths"]["/api/v1/orders/"]["post"]
    assert any(p["name"] == "Idempotency-Key" and p["required"] for p in create["parameters"])


@pytest.mark.django_db
def test_schema_documents_the_returns_api_rules(client):
    paths = client.get("/api/schema/?format=json").json()["paths"]
    for path in (
        "/api/v1/returns/",
        *(f"/api/v1/returns/{{rma}}/{a}/" for a in ("receive", "inspect", "refund")),
    ):
        post = paths[path]["post"]
        assert any(p["name"] == "Idempotency-Key" and p["required"] for p in post["parameters"])
        assert "422" in post["responses"]
    assert (
        "application/pdf"
        in paths["/api/v1/returns/{rma}/label.pdf"]["get"]["responses"]["200"]["content"]
    )


def test_schema_generates_without_warnings(tmp_path):
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "s.yml"))


@pytest.mark.django_db
def test_docs_pages_are_served(client):
    assert client.get("/api/docs/").status_code == 200
    assert client.get("/api/redoc/").status_code == 200


@pytest.mark.django_db
def test_schema_offers_store_credit_as_a_payment_gateway(client):
    schema = client.get("/api/schema/?format=json").json()
    payment = schema["components"]["schemas"]["PaymentInputRequest"]["properties"]
    gateways = schema["components"]["schemas"]["GatewayEnum"]["enum"]
    assert {"sandbox", "external", "store_credit"} <= set(gateways)
    assert "customer:<id>" in payment["token"]["description"]
