"""Concurrent order placement through the real HTTP API stack on PostgreSQL: stock rows are
locked in id order, so racing orders neither oversell, break the stock CHECK, nor deadlock."""

import math
import threading
import uuid
from collections import Counter
from collections.abc import Callable

import pytest
from django.db import connection
from django.db.models import Sum
from rest_framework.test import APIClient

from oms.actors import Actor
from orders.models import Allocation, Order, Payment, Stock, StockMovement
from orders.services import adjust_stock
from tests.factories import StockFactory, VariantFactory, order_body

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]

# PostgreSQL allows 100 connections here (SHOW max_connections); every racing request holds one,
# and the other pytest-xdist worker may be racing too, so stay well below that.
THREADS = 32
BARRIER_TIMEOUT = 60


def run_concurrently(calls: list[Callable[[], object]], *, threads: int = THREADS) -> list:
    """Run `calls` on `threads` threads in batches: the calls of each batch start together at a
    barrier, so they really race. Returns each call's result, or the exception it raised."""
    results: list = [None] * len(calls)
    batches = math.ceil(len(calls) / threads)
    barrier = threading.Barrier(threads, timeout=BARRIER_TIMEOUT)

    def worker(index: int) -> None:
        try:
            for batch in range(batches):
                barrier.wait()
                position = batch * threads + index
                if position < len(calls):
                    try:
                        results[position] = calls[position]()
                    except Exception as exc:  # noqa: BLE001 - a crash is a result to assert on
                        results[position] = exc
        finally:
            connection.close()

    workers = [threading.Thread(target=worker, args=(i,)) for i in range(threads)]
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join(timeout=BARRIER_TIMEOUT * batches)
    assert not any(thread.is_alive() for thread in workers), "a racing thread hung"
    return results


def post_order(token: str, body: dict) -> Callable[[], object]:
    """One storefront request: its own client and its own Idempotency-Key."""

    def call():
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
        return client.post(
            "/api/v1/orders/", body, format="json", HTTP_IDEMPOTENCY_KEY=uuid.uuid4().hex
        )

    return call


def outcome(result) -> tuple[int, str] | str:
    """(status, problem code) of a response, or the repr of the exception a request raised."""
    if isinstance(result, Exception):
        return repr(result)
    code = result.json().get("code", "") if result.status_code >= 400 else ""
    return result.status_code, code


def assert_stock_consistent() -> None:
    """Each stock row's cached `allocated` equals the live allocations and its audit trail."""
    for stock in Stock.objects.all():
        live = Allocation.objects.filter(stock=stock).aggregate(s=Sum("quantity"))["s"] or 0
        audited = StockMovement.objects.filter(stock=stock).aggregate(
            a=Sum("allocated_delta"), h=Sum("on_hand_delta")
        )
        assert 0 <= stock.allocated <= stock.on_hand, stock
        assert stock.allocated == live == (audited["a"] or 0), stock


def test_200_racing_orders_for_10_units_in_2_warehouses_sell_exactly_10_each_round(
    api_token, stocked_variant
):
    """Each round, 200 one-unit orders race for the 10 units (5 EAST + 5 WEST): 10 are placed,
    190 get 409 insufficient_stock, nothing else (no 500: no CHECK violation, no deadlock)."""
    east_stock, west_stock = Stock.objects.filter(variant=stocked_variant).order_by(
        "warehouse__priority"
    )
    body = order_body([("TEE-M", 1)])
    rounds = 3  # each round is ~10 s of CPU on a 2-core machine
    for round_number in range(1, rounds + 1):
        orders_before = set(Order.objects.values_list("pk", flat=True))

        results = run_concurrently([post_order(api_token, body) for _ in range(200)])

        outcomes = Counter(outcome(result) for result in results)
        assert outcomes == {(201, ""): 10, (409, "insufficient_stock"): 190}, outcomes
        refusal = next(r for r in results if r.status_code == 409)
        assert refusal["Content-Type"] == "application/problem+json"
        assert refusal.json()["skus"] == ["TEE-M"]
        placed = {r.json()["number"] for r in results if r.status_code == 201}
        new_orders = Order.objects.exclude(pk__in=orders_before)
        assert set(new_orders.values_list("number", flat=True)) == placed  # none left behind
        assert set(new_orders.values_list("status", flat=True)) == {Order.Status.CONFIRMED}
        assert (
            Payment.objects.filter(order__in=new_orders, status=Payment.Status.AUTHORIZED).count()
            == 10
        )
        assert (
            Allocation.objects.filter(order__in=new_orders).aggregate(s=Sum("quantity"))["s"] == 10
        )
        for stock in (east_stock, west_stock):
            stock.refresh_from_db()
            assert (stock.on_hand, stock.allocated) == (5 * round_number, 5 * round_number)
        assert_stock_consistent()

        # A goods receipt refills both warehouses for the next round.
        for code in ("EAST", "WEST"):
            adjust_stock(
                sku="TEE-M",
                warehouse_code=code,
                delta=5,
                reason="receipt",
                actor=Actor.system("tests"),
            )

    assert Order.objects.count() == 10 * rounds


def test_racing_multi_line_orders_with_skus_in_opposite_order_do_not_deadlock(
    api_token, two_warehouses
):
    """Orders listing SKUs as [A, B] and [B, A] race with single-SKU orders; stock rows are
    locked in id order, so none deadlocks, and both SKUs sell out exactly."""
    east, west = two_warehouses
    for sku in ("MUG-A", "MUG-B"):
        variant = VariantFactory(sku=sku)
        StockFactory(variant=variant, warehouse=east, on_hand=5)
        StockFactory(variant=variant, warehouse=west, on_hand=5)
    shapes = [
        [("MUG-A", 1), ("MUG-B", 1)],
        [("MUG-B", 1), ("MUG-A", 1)],
        [("MUG-A", 1)],
        [("MUG-B", 1)],
    ]
    # More than 10 single-SKU orders per SKU: whatever the interleaving, both SKUs sell out.
    calls = [post_order(api_token, order_body(shapes[i % 4])) for i in range(96)]

    results = run_concurrently(calls)

    outcomes = Counter(outcome(result) for result in results)
    assert set(outcomes) <= {(201, ""), (409, "insufficient_stock")}, outcomes
    placed = [r.json() for r in results if r.status_code == 201]
    assert Order.objects.count() == len(placed)
    assert set(Order.objects.values_list("status", flat=True)) == {Order.Status.CONFIRMED}
    sold = Counter()
    for order in placed:
        for line in order["lines"]:
            sold[line["sku"]] += line["quantity"]
    assert sold == {"MUG-A": 10, "MUG-B": 10}
    for stock in Stock.objects.all():
        assert (stock.on_hand, stock.allocated) == (5, 5)
    assert_stock_consistent()
