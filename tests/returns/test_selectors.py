"""Reads of returns shared by the console, the API and the portal: lookups by RMA or tracking
number, per order and customer, the filtered queue (newest first, a bounded number of queries),
the timeline and the lock."""

from datetime import UTC, datetime

import pytest
from django.utils import timezone

from oms.exceptions import NotFound
from returns import selectors
from returns.models import RequestedVia, Resolution, ReturnRequest
from returns.services import receiving
from tests.factories import WarehouseFactory
from tests.returns.lifecycle_builders import (
    ACTOR,
    delivered_order,
    request,
    store_policy,
    wanted,
)


@pytest.fixture(autouse=True)
def policy(db):
    return store_policy()


@pytest.fixture
def three_returns():
    """Two returns of one order (one in review, one approved) and one of another customer's."""
    order = delivered_order()
    in_review = request(order, wanted(order, "TEE-M", 1, "other"), via=RequestedVia.CONSOLE)
    approved = request(order, wanted(order, "CAP", 1), resolution=Resolution.STORE_CREDIT)
    WarehouseFactory(code="WEST", region="CA", priority=5)
    other = delivered_order((("SOCK", 1),), warehouse_code="WEST", email="bo@example.com")
    elsewhere = request(other, wanted(other, "SOCK", 1), via=RequestedVia.API)
    return in_review, approved, elsewhere


def test_get_return_finds_an_rma_in_any_case_and_refuses_an_unknown_one(three_returns):
    in_review, *_ = three_returns

    assert selectors.get_return(in_review.rma.lower()).pk == in_review.pk
    with pytest.raises(NotFound) as missing:
        selectors.get_return("R0-9")
    assert missing.value.code == "return_not_found"


def test_get_return_loads_everything_its_page_shows_in_a_fixed_number_of_queries(
    three_returns, django_assert_max_num_queries
):
    _, approved, _ = three_returns

    with django_assert_max_num_queries(5):
        found = selectors.get_return(approved.rma)
    with django_assert_max_num_queries(0):  # everything below was loaded with it
        lines = [(line.order_line.sku, list(line.photos.all())) for line in found.lines.all()]
        events = [event.type for event in found.events.all()]
        refunds = list(found.refunds.all())
        header = (found.order.number, found.customer.email, found.warehouse.code)
        exchange = found.exchange_order

    assert (refunds, exchange) == ([], None)
    assert lines == [("CAP", [])]
    assert events == ["requested", "approved", "label_created"]
    assert header[2] == "EAST"


def test_a_return_is_found_by_its_rma_or_its_tracking_number(three_returns):
    _, approved, _ = three_returns

    assert selectors.get_return_by_code(f" {approved.rma.lower()} ").pk == approved.pk
    assert selectors.get_return_by_code(approved.tracking_number.lower()).pk == approved.pk
    for code in ("", "  ", "RP123"):
        with pytest.raises(NotFound):
            selectors.get_return_by_code(code)


def test_returns_of_an_order_and_of_a_customer_newest_first(three_returns):
    in_review, approved, elsewhere = three_returns

    assert list(selectors.returns_for_order(in_review.order)) == [approved, in_review]
    assert list(selectors.returns_for_order(elsewhere.order_id)) == [elsewhere]
    assert list(selectors.returns_for_customer(in_review.customer)) == [approved, in_review]
    assert list(selectors.returns_for_customer(elsewhere.customer_id)) == [elsewhere]


def test_the_queue_filters_by_status_resolution_warehouse_and_channel(three_returns):
    in_review, approved, elsewhere = three_returns

    assert list(selectors.list_returns()) == [elsewhere, approved, in_review]
    assert list(selectors.list_returns(status="requested")) == [in_review]
    assert list(selectors.list_returns(resolution="store_credit")) == [approved]
    assert list(selectors.list_returns(warehouse_code="west")) == [elsewhere]
    assert list(selectors.list_returns(via="console")) == [in_review]
    assert list(selectors.list_returns(status="approved", warehouse_code="EAST")) == [approved]


def test_the_queue_narrows_to_an_order_a_customer_and_a_creation_period(three_returns):
    in_review, approved, elsewhere = three_returns
    ReturnRequest.objects.filter(pk=in_review.pk).update(
        created_at=datetime(2026, 1, 10, tzinfo=UTC)
    )
    start = datetime(2026, 1, 11, tzinfo=UTC)

    assert list(selectors.list_returns(order_number=f" {elsewhere.order.number} ")) == [elsewhere]
    assert list(selectors.list_returns(email="ANA@example.com")) == [approved, in_review]
    assert list(selectors.list_returns(email="bo@example.com", status="approved")) == [elsewhere]
    assert list(selectors.list_returns(created_after=start)) == [elsewhere, approved]
    assert list(selectors.list_returns(created_before=start)) == [in_review]
    assert list(selectors.list_returns(order_number="0", email="nobody@example.com")) == []


def test_the_queue_search_matches_rma_tracking_number_order_number_and_email(three_returns):
    in_review, approved, elsewhere = three_returns

    assert list(selectors.list_returns(query=approved.rma.lower())) == [approved]
    assert list(selectors.list_returns(query=approved.tracking_number)) == [approved]
    assert list(selectors.list_returns(query=elsewhere.order.number)) == [elsewhere]
    assert list(selectors.list_returns(query="ANA@example.com")) == [approved, in_review]
    assert list(selectors.list_returns(query="nobody@example.com")) == []


def test_the_queue_costs_the_same_queries_whatever_its_length(
    three_returns, django_assert_max_num_queries
):
    with django_assert_max_num_queries(1):
        rows = [
            (r.rma, r.order.number, r.customer.email, r.warehouse.code if r.warehouse else "")
            for r in selectors.list_returns()[:50]
        ]

    assert len(rows) == 3


def test_the_timeline_lists_every_step_oldest_first(three_returns):
    _, approved, _ = three_returns
    receiving.record_return_scan(
        tracking_number=approved.tracking_number,
        status="picked_up",
        occurred_at=timezone.now(),
        actor=ACTOR,
        carrier_event_id="s1",
    )

    assert [e.type for e in selectors.return_timeline(approved)] == [
        "requested",
        "approved",
        "label_created",
        "in_transit",
    ]
    assert selectors.return_timeline(approved.pk).count() == 4


def test_the_lock_comes_with_its_order_and_refuses_an_unknown_id(three_returns):
    _, approved, _ = three_returns

    locked = selectors.lock_return(approved.pk)

    assert locked.pk == approved.pk and locked.order.pk == approved.order_id
    with pytest.raises(NotFound):
        selectors.lock_return(10**9)


def test_searching_the_queue_costs_a_fixed_number_of_queries(
    three_returns, django_assert_max_num_queries
):
    in_review, approved, _ = three_returns

    with django_assert_max_num_queries(3):
        rows = [r.rma for r in selectors.list_returns(query=in_review.order.number)[:50]]

    assert rows == [approved.rma, in_review.rma]
