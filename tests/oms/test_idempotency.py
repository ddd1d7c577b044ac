"""Idempotency-Key on order placement: same key + same body replays the first response, another
body is refused, a retry during the first request gets 409, and racing retries never place or
charge twice (https://datatracker.ietf.org/doc/draft-ietf-httpapi-idempotency-key-header/)."""

import threading
from collections import Counter
from datetime import timedelta

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from oms.actors import Actor
from oms.api.idempotency import STORED_STATUSES
from oms.models import IdempotencyRecord
from oms.services import purge_expired_idempotency_keys
from orders.models import (
    Order,
    Payment,
    PaymentTransaction,
    SandboxCharge,
    Stock,
)
from orders.services import adjust_stock
from tests.factories import make_api_client, order_body

pytestmark = pytest.mark.django_db(transaction=True)

ORDERS = "/api/v1/orders/"


def client_for(token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


def post(client: APIClient, body: dict, key: str):
    return client.post(ORDERS, body, format="json", HTTP_IDEMPOTENCY_KEY=key)


def race(call, *, threads: int) -> list:
    """Run `call` on `threads` threads released together by a barrier; returns the results (or
    the exceptions raised). Each thread closes its own database connection."""
    barrier = threading.Barrier(threads, timeout=60)
    results: list = [None] * threads

    def worker(index: int) -> None:
        try:
            barrier.wait()
            results[index] = call()
        except Exception as exc:  # noqa: BLE001 - a crash is a result to assert on
            results[index] = exc
        finally:
            connection.close()

    workers = [threading.Thread(target=worker, args=(i,)) for i in range(threads)]
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in workers), "a racing thread hung"
    return results


def assert_nothing_created() -> None:
    assert Order.objects.count() == 0
    assert Payment.objects.count() == 0
    assert SandboxCharge.objects.count() == 0
    assert set(Stock.objects.values_list("allocated", flat=True)) <= {0}


@pytest.mark.postgres
def test_50_racing_posts_with_one_key_place_one_order_and_authorize_once(
    api_token, stocked_variant
):
    body = order_body([("TEE-M", 1)])

    results = race(lambda: post(client_for(api_token), body, "checkout-42"), threads=50)

    crashes = [r for r in results if isinstance(r, Exception)]
    assert not crashes, crashes
    outcomes = Counter(
        (r.status_code, r.json().get("code", ""), r.get("Idempotent-Replayed")) for r in results
    )
    assert set(outcomes) <= {
        (201, "", None),  # the one request that ran
        (201, "", "true"),  # a retry that arrived after it finished
        (409, "idempotency_request_in_progress", None),  # a retry while it ran
    }, outcomes
    assert outcomes[(201, "", None)] == 1, outcomes
    numbers = {r.json()["number"] for r in results if r.status_code == 201}
    order = Order.objects.get()
    assert numbers == {order.number}
    assert Payment.objects.get().order == order
    assert PaymentTransaction.objects.filter(kind=PaymentTransaction.Kind.AUTHORIZE).count() == 1
    assert SandboxCharge.objects.count() == 1
    assert sum(Stock.objects.values_list("allocated", flat=True)) == 1

    retry = post(client_for(api_token), body, "checkout-42")

    assert retry.status_code == 201
    assert retry["Idempotent-Replayed"] == "true"
    assert retry.json()["number"] == order.number
    assert Order.objects.count() == 1


@pytest.mark.postgres
def test_racing_retries_of_an_invalid_request_all_get_400_or_409(api_token, stocked_variant):
    """The first request's 400 frees the key while the others are claiming it: each must still
    answer 400 (it ran) or 409 (it ran into the first), never a 500."""
    body = order_body([("TEE-M", 1)], currency="usd")

    results = race(lambda: post(client_for(api_token), body, "bad-checkout"), threads=30)

    crashes = [r for r in results if isinstance(r, Exception)]
    assert not crashes, crashes
    outcomes = Counter((r.status_code, r.json()["code"]) for r in results)
    assert set(outcomes) <= {(400, "validation_error"), (409, "idempotency_request_in_progress")}
    assert outcomes[(400, "validation_error")] >= 1
    assert IdempotencyRecord.objects.count() == 0
    assert_nothing_created()


def test_same_key_with_another_body_is_refused_with_422_and_changes_nothing(api, stocked_variant):
    first = post(api, order_body([("TEE-M", 1)]), "key-1")
    assert first.status_code == 201

    other = post(api, order_body([("TEE-M", 2)]), "key-1")

    assert other.status_code == 422
    assert other["Content-Type"] == "application/problem+json"
    assert other.json()["code"] == "idempotency_key_reused"
    assert Order.objects.count() == 1
    assert SandboxCharge.objects.count() == 1
    assert sum(Stock.objects.values_list("allocated", flat=True)) == 1


def test_missing_key_is_refused_with_400_and_changes_nothing(api, stocked_variant):
    response = api.post(ORDERS, order_body([("TEE-M", 1)]), format="json")

    assert response.status_code == 400
    assert response.json()["code"] == "idempotency_key_required"
    assert IdempotencyRecord.objects.count() == 0
    assert_nothing_created()


def test_validation_error_does_not_consume_the_key(api, stocked_variant):
    bad = post(api, order_body([("TEE-M", 1)], currency="usd"), "key-fix-me")
    assert bad.status_code == 400
    assert bad.json()["code"] == "validation_error"
    assert IdempotencyRecord.objects.count() == 0
    assert_nothing_created()
    unknown_sku = post(api, order_body([("NOPE", 1)]), "key-fix-me")
    assert unknown_sku.status_code == 400
    assert unknown_sku.json()["code"] == "invalid_order"
    assert IdempotencyRecord.objects.count() == 0

    fixed = post(api, order_body([("TEE-M", 1)]), "key-fix-me")

    assert fixed.status_code == 201
    assert "Idempotent-Replayed" not in fixed
    assert Order.objects.get().number == fixed.json()["number"]


def test_keys_are_scoped_per_api_client(stocked_variant):
    _, storefront = make_api_client("storefront")
    _, marketplace = make_api_client("marketplace")
    body = order_body([("TEE-M", 1)])

    first = post(client_for(storefront), body, "shared-key")
    second = post(client_for(marketplace), body, "shared-key")

    assert (first.status_code, second.status_code) == (201, 201)
    assert "Idempotent-Replayed" not in second
    assert first.json()["number"] != second.json()["number"]
    assert Order.objects.count() == 2


def test_a_record_older_than_the_ttl_is_treated_as_new(api, stocked_variant):
    first = post(api, order_body([("TEE-M", 1)]), "old-key")
    assert first.status_code == 201
    IdempotencyRecord.objects.update(
        created_at=timezone.now() - settings.IDEMPOTENCY_KEY_TTL - timedelta(minutes=1)
    )

    again = post(api, order_body([("TEE-M", 2)]), "old-key")  # another body: no 422 either

    assert again.status_code == 201
    assert "Idempotent-Replayed" not in again
    assert again.json()["number"] != first.json()["number"]
    assert Order.objects.count() == 2
    record = IdempotencyRecord.objects.get()
    assert record.created_at > timezone.now() - timedelta(minutes=1)
    assert record.response_body["number"] == again.json()["number"]


def test_purge_removes_only_keys_older_than_the_ttl(api, stocked_variant):
    for key in ("old-1", "old-2", "fresh"):
        assert post(api, order_body([("TEE-M", 1)]), key).status_code == 201
    expired = timezone.now() - settings.IDEMPOTENCY_KEY_TTL - timedelta(seconds=1)
    IdempotencyRecord.objects.filter(key__startswith="old-").update(created_at=expired)

    assert purge_expired_idempotency_keys() == 2

    assert list(IdempotencyRecord.objects.values_list("key", flat=True)) == ["fresh"]
    assert Order.objects.count() == 3  # the orders themselves are untouched


def test_a_stored_insufficient_stock_409_is_replayed_even_after_restock(api, stocked_variant):
    """409 is in STORED_STATUSES: the request ran and was refused, so its retry gets the same
    answer; a new attempt needs a new key."""
    assert 409 in STORED_STATUSES
    body = order_body([("TEE-M", 11)])
    refused = post(api, body, "too-many")
    assert refused.status_code == 409
    assert refused.json()["code"] == "insufficient_stock"
    adjust_stock(
        sku="TEE-M", warehouse_code="EAST", delta=10, reason="receipt", actor=Actor.system("tests")
    )

    retry = post(api, body, "too-many")

    assert retry.status_code == 409
    assert retry["Idempotent-Replayed"] == "true"
    assert retry["Content-Type"] == "application/problem+json"
    assert retry.json() == refused.json()
    assert Order.objects.count() == 0
    assert post(api, body, "too-many-2").status_code == 201


def test_a_declined_payment_402_is_replayed_without_charging_again(api, stocked_variant):
    body = order_body([("TEE-M", 1)], payment={"gateway": "sandbox", "token": "4000000000000002"})
    declined = post(api, body, "declined")
    assert declined.status_code == 402

    retry = post(api, body, "declined")

    assert retry.status_code == 402
    assert retry["Idempotent-Replayed"] == "true"
    assert retry.json() == declined.json()
    assert Order.objects.count() == 1
    assert PaymentTransaction.objects.filter(kind=PaymentTransaction.Kind.AUTHORIZE).count() == 1
