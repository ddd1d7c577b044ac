"""The webhook API: an API client with the webhooks:manage scope manages its own endpoints, reads
their deliveries and replays them; and the whole path from a placed order to signed requests."""

import pytest
from standardwebhooks.webhooks import Webhook

from notifications.models import Delivery, WebhookEndpoint
from notifications.services import webhooks as services
from oms.models import Scope
from tests.factories import make_api_client, order_body
from tests.notifications.test_webhooks import Sink, publish, verify

ENDPOINTS = "/api/v1/webhook-endpoints/"


@pytest.fixture
def sink():
    with Sink() as running:
        yield running


@pytest.fixture(autouse=True)
def private_targets_allowed(settings):
    settings.OMS_WEBHOOKS_ALLOW_PRIVATE_TARGETS = True


@pytest.fixture
def client_of(db):
    """An API client (with its token) other than the `api` fixture's."""

    def make(name: str, scopes: list[str]):
        from rest_framework.test import APIClient

        _, token = make_api_client(name=name, scopes=scopes)
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
        return client

    return make


def create(api, idem, url: str, **fields) -> dict:
    response = api.post(ENDPOINTS, {"url": url, **fields}, format="json", **idem())
    assert response.status_code == 201, response.json()
    return response.json()


@pytest.mark.django_db
def test_create_answers_the_secret_once_and_lists_the_endpoint_without_it(api, idem, sink):
    created = create(
        api, idem, sink.url, event_types=["order.*", "shipment.shipped"], description="Shop"
    )

    assert created["secret"].startswith("whsec_")
    assert created["event_types"] == ["order.*", "shipment.shipped"]
    assert created["is_active"] is True
    endpoint = WebhookEndpoint.objects.get(pk=created["id"])
    assert endpoint.owner.name == "test-client"
    assert endpoint.secret == created["secret"]
    listed = api.get(ENDPOINTS).json()
    assert [e["id"] for e in listed["results"]] == [created["id"]]
    assert "secret" not in listed["results"][0]
    detail = api.get(f"{ENDPOINTS}{created['id']}/").json()
    assert "secret" not in detail and detail["description"] == "Shop"


@pytest.mark.django_db
def test_create_needs_an_idempotency_key_and_replays_the_first_answer(api, idem, sink):
    body = {"url": sink.url}
    assert api.post(ENDPOINTS, body, format="json").status_code == 400
    key = idem()

    first = api.post(ENDPOINTS, body, format="json", **key)
    again = api.post(ENDPOINTS, body, format="json", **key)

    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert WebhookEndpoint.objects.count() == 1


@pytest.mark.django_db
def test_a_private_target_is_refused_at_creation_with_a_problem(api, idem, settings):
    settings.OMS_WEBHOOKS_ALLOW_PRIVATE_TARGETS = False

    response = api.post(ENDPOINTS, {"url": "http://127.0.0.1:8080/hooks"}, format="json", **idem())

    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    problem = response.json()
    assert problem["code"] == "webhook_target_refused"
    assert problem["errors"][0]["field"] == "url"
    assert not WebhookEndpoint.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"url": "not a url"}, "url"),
        ({"url": "ftp://example.com/"}, "url"),
        ({"url": "https://example.com/", "event_types": ["order.nope"]}, "event_types.0"),
        ({"url": "https://example.com/", "event_types": "order.*"}, "event_types"),
    ],
)
def test_invalid_input_is_a_problem_with_the_field(api, idem, body, field):
    response = api.post(ENDPOINTS, body, format="json", **idem())

    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == field
    assert not WebhookEndpoint.objects.exists()


@pytest.mark.django_db
def test_every_refused_field_is_reported_at_once(api, idem, settings):
    settings.OMS_WEBHOOKS_ALLOW_PRIVATE_TARGETS = False
    body = {"url": "http://10.0.0.8/hooks", "event_types": ["order.*", "orders.typo"]}

    response = api.post(ENDPOINTS, body, format="json", **idem())

    assert response.status_code == 400
    assert [e["field"] for e in response.json()["errors"]] == ["url", "event_types.1"]


@pytest.mark.django_db
def test_patch_changes_the_endpoint_and_can_disable_and_enable_it(api, idem, sink):
    endpoint_id = create(api, idem, sink.url)["id"]
    url = f"{ENDPOINTS}{endpoint_id}/"

    changed = api.patch(
        url, {"event_types": ["order.cancelled"], "description": "ERP"}, format="json"
    )
    disabled = api.patch(url, {"is_active": False}, format="json")

    assert changed.status_code == 200
    assert changed.json()["event_types"] == ["order.cancelled"]
    assert changed.json()["url"] == sink.url
    assert disabled.json()["is_active"] is False
    assert disabled.json()["disabled_reason"] == "Disabled by API client test-client."
    enabled = api.patch(url, {"is_active": True}, format="json").json()
    assert (enabled["is_active"], enabled["disabled_reason"], enabled["disabled_at"]) == (
        True,
        "",
        None,
    )
    refused = api.patch(url, {"event_types": ["nope.*"]}, format="json")
    assert refused.status_code == 400
    assert WebhookEndpoint.objects.get(pk=endpoint_id).event_types == ["order.cancelled"]


@pytest.mark.django_db
def test_delete_removes_the_endpoint(api, idem, sink):
    endpoint_id = create(api, idem, sink.url)["id"]

    response = api.delete(f"{ENDPOINTS}{endpoint_id}/")

    assert response.status_code == 204
    assert not WebhookEndpoint.objects.exists()
    assert api.get(f"{ENDPOINTS}{endpoint_id}/").status_code == 404


@pytest.mark.django_db(transaction=True)
def test_another_clients_endpoint_and_delivery_are_not_found(api, idem, sink, client_of):
    endpoint_id = create(api, idem, sink.url)["id"]
    message = publish()
    delivery = Delivery.objects.get(message=message, endpoint_id=endpoint_id)
    other = client_of("other-shop", [Scope.WEBHOOKS_MANAGE])
    base = f"{ENDPOINTS}{endpoint_id}/"

    answers = [
        other.get(base),
        other.patch(base, {"description": "mine now"}, format="json"),
        other.delete(base),
        other.post(f"{base}rotate-secret/", {}, format="json", **idem()),
        other.get(f"{base}deliveries/"),
        other.post(f"/api/v1/webhook-deliveries/{delivery.pk}/replay/"),
    ]

    assert [a.status_code for a in answers] == [404] * 6
    assert all(a.json()["code"].startswith("webhook_") for a in answers)
    assert other.get(ENDPOINTS).json()["results"] == []
    endpoint = WebhookEndpoint.objects.get(pk=endpoint_id)
    assert endpoint.description == ""
    assert len(sink.received) == 1


@pytest.mark.django_db
def test_a_token_without_the_scope_is_forbidden(client_of, idem, sink):
    reader = client_of("reader", [Scope.ORDERS_READ])

    listed = reader.get(ENDPOINTS)
    created = reader.post(ENDPOINTS, {"url": sink.url}, format="json", **idem())

    assert listed.status_code == created.status_code == 403
    assert "webhooks:manage" in created.json()["detail"]
    assert not WebhookEndpoint.objects.exists()


@pytest.mark.django_db
def test_rotate_secret_answers_the_new_secret_and_both_sign_during_the_overlap(api, idem, sink):
    created = create(api, idem, sink.url)

    response = api.post(
        f"{ENDPOINTS}{created['id']}/rotate-secret/", {"overlap_hours": 2}, format="json", **idem()
    )
    publish()

    assert response.status_code == 200
    rotated = response.json()
    assert rotated["secret"] != created["secret"]
    assert rotated["previous_secret_expires_at"] is not None
    [received] = sink.received
    verify(created["secret"], received)
    verify(rotated["secret"], received)


@pytest.mark.django_db
def test_deliveries_list_their_attempts_in_a_bounded_number_of_queries(
    api, idem, sink, django_assert_max_num_queries
):
    endpoint_id = create(api, idem, sink.url)["id"]
    sink.answer(500)
    first = publish(number="100001")
    for number in range(100002, 100012):
        publish(number=str(number))

    with django_assert_max_num_queries(6):
        response = api.get(f"{ENDPOINTS}{endpoint_id}/deliveries/?limit=5")

    assert response.status_code == 200
    page = response.json()
    assert len(page["results"]) == 5 and page["next"]
    failed = api.get(f"{ENDPOINTS}{endpoint_id}/deliveries/?status=retrying").json()["results"]
    [delivery] = failed
    assert delivery["webhook_id"] == str(first.pk)
    assert delivery["event_type"] == "order.cancelled"
    [attempt] = delivery["attempt_log"]
    assert attempt["status_code"] == 500 and attempt["latency_ms"] >= 0
    assert attempt["response_excerpt"] == "answered 500"


@pytest.mark.django_db(transaction=True)
def test_replay_sends_again_with_the_same_webhook_id(api, idem, sink):
    created = create(api, idem, sink.url)
    sink.answer(500)
    message = publish()
    delivery = Delivery.objects.get(message=message, endpoint_id=created["id"])

    response = api.post(f"/api/v1/webhook-deliveries/{delivery.pk}/replay/")

    assert response.status_code == 200
    replayed = response.json()
    assert replayed["status"] == "sent"
    assert [a["is_manual_replay"] for a in replayed["attempt_log"]] == [True, False]
    assert [a["status_code"] for a in replayed["attempt_log"]] == [200, 500]
    assert [r.webhook_id for r in sink.received] == [str(message.pk)] * 2
    verify(created["secret"], sink.received[-1])


@pytest.mark.django_db(transaction=True)
def test_replay_to_a_disabled_endpoint_is_a_conflict(api, idem, sink):
    created = create(api, idem, sink.url)
    message = publish()
    services.disable_endpoint(
        endpoint=WebhookEndpoint.objects.get(pk=created["id"]), reason="by hand"
    )
    delivery = Delivery.objects.get(message=message, endpoint_id=created["id"])

    response = api.post(f"/api/v1/webhook-deliveries/{delivery.pk}/replay/")

    assert response.status_code == 409
    assert response.json()["code"] == "webhook_endpoint_disabled"
    assert len(sink.received) == 1


@pytest.mark.django_db(transaction=True)
def test_a_placed_order_reaches_the_endpoint_signed(api, idem, sink, stocked_variant):
    created = create(api, idem, sink.url, event_types=["order.*"])

    response = api.post("/api/v1/orders/", order_body([("TEE-M", 2)]), format="json", **idem())

    assert response.status_code == 201, response.json()
    number = response.json()["number"]
    by_type = {received.event_type: received for received in sink.received}
    assert {"order.created", "order.confirmed"} <= set(by_type)
    assert all(r.event_type.startswith("order.") for r in sink.received)
    for received in sink.received:
        payload = Webhook(created["secret"]).verify(received.body, received.headers)
        assert payload["data"]["order"]["number"] == number
    assert len({r.webhook_id for r in sink.received}) == len(sink.received)
    deliveries = Delivery.objects.filter(endpoint_id=created["id"])
    assert {d.status for d in deliveries} == {Delivery.Status.SENT}
