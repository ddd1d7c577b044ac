"""API clients: created by command or admin, tokens shown once and stored hashed, scopes."""

import pytest
from django.core.management import CommandError, call_command
from rest_framework.test import APIClient

from oms.models import ApiClient, hash_token

pytestmark = pytest.mark.django_db


def token_from(output: str) -> str:
    return output.strip().rsplit(" ", 1)[-1]


def test_command_creates_a_client_whose_token_works_with_its_scopes_only(capsys):
    call_command("create_api_client", "carrier-x", "--scopes", "tracking:write")
    token = token_from(capsys.readouterr().out)
    client = ApiClient.objects.get(name="carrier-x")
    assert client.scopes == ["tracking:write"]
    assert client.token_hash == hash_token(token) and token not in client.token_hash
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    assert api.get("/api/v1/orders/").status_code == 403
    assert api.post("/api/v1/tracking-events/", {}, format="json").status_code == 400


def test_rotating_a_token_stops_the_old_one(capsys):
    call_command("create_api_client", "shop")
    old = token_from(capsys.readouterr().out)
    call_command("create_api_client", "shop", "--rotate")
    new = token_from(capsys.readouterr().out)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {old}")
    assert api.get("/api/v1/orders/").status_code == 401
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {new}")
    assert api.get("/api/v1/orders/").status_code == 200


def test_unknown_scope_and_duplicate_name_are_refused():
    with pytest.raises(CommandError, match="Unknown scopes"):
        call_command("create_api_client", "x", "--scopes", "orders:everything")
    call_command("create_api_client", "dup")
    with pytest.raises(CommandError, match="exists"):
        call_command("create_api_client", "dup")
    assert ApiClient.objects.count() == 1


def test_inactive_client_is_refused(capsys):
    call_command("create_api_client", "old-shop")
    token = token_from(capsys.readouterr().out)
    ApiClient.objects.update(is_active=False)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    assert api.get("/api/v1/orders/").status_code == 401


def test_admin_creates_a_client_and_shows_the_token_once(admin_client):
    response = admin_client.post(
        "/admin/oms/apiclient/add/",
        {"name": "erp", "scopes": '["orders:read"]', "is_active": "on"},
        follow=True,
    )
    assert response.status_code == 200
    messages = [str(m) for m in response.context["messages"]]
    token = next(m for m in messages if "erp" in m).rsplit(" ", 1)[-1]
    assert ApiClient.objects.get(name="erp").token_hash == hash_token(token)


@pytest.mark.parametrize(
    "url",
    [
        "/admin/orders/order/",
        "/admin/orders/product/",
        "/admin/orders/variant/",
        "/admin/orders/stock/",
        "/admin/orders/stockmovement/",
        "/admin/orders/customer/",
        "/admin/orders/shipment/",
        "/admin/orders/payment/",
        "/admin/orders/warehouse/",
        "/admin/oms/apiclient/",
        "/admin/notifications/outboxmessage/",
    ],
)
def test_admin_pages_open(admin_client, url):
    assert admin_client.get(url).status_code == 200
