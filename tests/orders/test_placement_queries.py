"""Query-count bounds of order placement (issue 7: the bench keeps the times, tests keep the
query counts). A 3-line order costs the same statements whether it ships from one warehouse or
from three."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from orders.models import Order, Shipment
from tests.factories import StockFactory, VariantFactory, WarehouseFactory, order_body

pytestmark = pytest.mark.django_db(transaction=True)

# Every statement of one placement through the API, transaction control included: the
# idempotency claim, customer, order, lines, allocation, stock, events, outbox, the sandbox
# gateway's records, payment, confirmation, shipments and the 201's read of the order — and,
# because the tests run Celery tasks inline, the fan-out of its three outbox messages (the web
# request alone sends 46 statements in production; `python -m bench --only placement`).
MAX_PLACEMENT_QUERIES = 92


def stocked(prefix: str, warehouses) -> list[tuple[str, int]]:
    lines = []
    for index, warehouse in enumerate(warehouses):
        variant = VariantFactory(sku=f"{prefix}-{index}")
        StockFactory(variant=variant, warehouse=warehouse, on_hand=50)
        lines.append((variant.sku, 1))
    return lines


def placement_queries(api, idem, lines) -> tuple[int, dict]:
    with CaptureQueriesContext(connection) as queries:
        response = api.post("/api/v1/orders/", order_body(lines), format="json", **idem())
    assert response.status_code == 201, response.json()
    return len(queries), response.json()


def test_placement_queries_do_not_grow_with_the_warehouses_it_ships_from(api, idem):
    one = WarehouseFactory(code="ONE", priority=1)
    three = [
        WarehouseFactory(code="A", priority=2),
        WarehouseFactory(code="B", priority=3),
        WarehouseFactory(code="C", priority=4),
    ]
    # A first order creates the customer and remembers the address; both measured orders are
    # then a returning customer's.
    placement_queries(api, idem, stocked("WARM", [one]))

    single, single_body = placement_queries(api, idem, stocked("ONE", [one, one, one]))
    split, split_body = placement_queries(api, idem, stocked("SPLIT", three))

    assert Shipment.objects.filter(order__number=single_body["number"]).count() == 1
    shipments = Shipment.objects.filter(order__number=split_body["number"]).order_by("number")
    assert [s.warehouse.code for s in shipments] == ["A", "B", "C"]
    assert [s.number for s in shipments] == [f"{split_body['number']}-{n}" for n in (1, 2, 3)]
    assert all(s.lines.count() == 1 for s in shipments)
    assert Order.objects.get(number=split_body["number"]).status == Order.Status.CONFIRMED
    assert split == single
    assert split <= MAX_PLACEMENT_QUERIES
