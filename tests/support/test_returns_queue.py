"""The console's returns queue: reviewers start on what waits for them, everyone else on the open
returns; filters by status, resolution, warehouse and channel; a search by RMA, order number,
email or return tracking number; counts per open status; keyset pages; the live fragment; and
the same number of queries for 60 returns as for 2."""

import pytest
from django.contrib.auth.models import Group, User
from django.urls import reverse

from orders.models import Warehouse
from returns.models import RequestedVia, Resolution, ReturnRequest
from support.selectors import returns as selectors
from tests.returns.lifecycle_builders import delivered_order, request, store_policy, wanted

pytestmark = pytest.mark.django_db
QUEUE = reverse("console:returns")


def login(client, username: str, role: str) -> User:
    user = User.objects.create_user(username, is_staff=role != "warehouse")
    user.groups.add(Group.objects.get(name=role))
    client.force_login(user)
    return user


@pytest.fixture
def shop():
    """A delivered order of 2 x TEE-M and 1 x CAP at 20.00, shipped from EAST, with two
    returns: R…-1 (TEE-M, refund, approved at once) and R…-2 (CAP, reason "other": waits for
    a review, store credit, asked for in the console)."""
    store_policy()
    order = delivered_order()
    approved = request(order, wanted(order, "TEE-M", 2))
    waiting = request(
        order,
        wanted(order, "CAP", 1, reason="other"),
        resolution=Resolution.STORE_CREDIT,
        via=RequestedVia.CONSOLE,
    )
    assert (approved.status, waiting.status) == ("approved", "requested")
    return {"order": order, "approved": approved, "waiting": waiting}


def rmas(response) -> list[str]:
    return [row.rma for row in response.context["page"].rows]


def test_a_supervisor_starts_on_the_returns_waiting_for_review(client, shop):
    login(client, "sam", "supervisor")
    response = client.get(QUEUE)
    assert response.status_code == 200
    assert response.context["status"] == "review"
    assert rmas(response) == [shop["waiting"].rma]
    html = response.content.decode()
    assert 'data-count="review">1<' in html
    assert 'data-count="approved">1<' in html


def test_an_agent_starts_on_every_open_return_newest_first(client, shop):
    login(client, "amy", "agent")
    response = client.get(QUEUE)
    assert response.context["status"] == "open"
    assert rmas(response) == [shop["waiting"].rma, shop["approved"].rma]
    html = response.content.decode()
    assert f'href="/console/returns/{shop["waiting"].rma}/"' in html
    assert "Receive parcels" not in html  # agents do not receive


def test_the_warehouse_sees_the_queue_and_the_way_to_the_station(client, shop):
    login(client, "wendy", "warehouse")
    response = client.get(QUEUE)
    assert response.status_code == 200
    assert 'href="/console/returns/receive/"' in response.content.decode()


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"status": "approved"}, ["approved"]),
        ({"status": "review"}, ["waiting"]),
        ({"status": "rejected"}, []),
        ({"status": "all", "resolution": "store_credit"}, ["waiting"]),
        ({"status": "all", "resolution": "refund"}, ["approved"]),
        ({"status": "all", "via": "console"}, ["waiting"]),
        ({"status": "all", "via": "portal"}, ["approved"]),
        ({"status": "nonsense"}, ["waiting", "approved"]),  # a bad filter falls back
    ],
)
def test_filters(client, shop, params, expected):
    login(client, "amy", "agent")
    response = client.get(QUEUE, params)
    assert response.status_code == 200
    assert rmas(response) == [shop[key].rma for key in expected]


def test_the_warehouse_filter(client, shop):
    login(client, "amy", "agent")
    east = Warehouse.objects.get(code="EAST")
    elsewhere = Warehouse.objects.create(code="WEST", name="West", region="CA")
    assert len(rmas(client.get(QUEUE, {"status": "all", "warehouse": east.pk}))) == 2
    assert rmas(client.get(QUEUE, {"status": "all", "warehouse": elsewhere.pk})) == []


def test_search_by_rma_order_number_email_and_tracking_number(client, shop):
    login(client, "amy", "agent")
    approved, waiting, order = shop["approved"], shop["waiting"], shop["order"]
    searches = {
        approved.rma: [approved.rma],
        approved.rma.lower(): [approved.rma],
        approved.rma.replace("R", "R-", 1): [approved.rma],  # typed with a hyphen
        order.number: [waiting.rma, approved.rma],
        f"#{order.number}": [waiting.rma, approved.rma],
        f"R{order.number}": [waiting.rma, approved.rma],
        "ANA@example.com": [waiting.rma, approved.rma],
        approved.tracking_number.lower(): [approved.rma],
        "nobody@example.com": [],
        "R999999-1": [],
    }
    for query, expected in searches.items():
        response = client.get(QUEUE, {"status": "all", "q": query})
        assert rmas(response) == expected, query


def test_counts_follow_the_other_filters_but_not_the_status(client, shop):
    counts = selectors.status_counts(selectors.QueueFilters(resolution="refund"))
    assert counts == {"requested": 0, "approved": 1, "in_transit": 0, "received": 0, "inspected": 0}
    counts = selectors.status_counts(selectors.QueueFilters(status="approved"))
    assert counts["requested"] == 1 and counts["approved"] == 1


def test_keyset_pages_walk_every_return_once(client, shop):
    order = delivered_order((("SOCK", 9),), warehouse_code="NORTH")
    for _ in range(5):
        request(order, wanted(order, "SOCK", 1))
    every = list(ReturnRequest.objects.order_by("-id").values_list("rma", flat=True))
    seen, before = [], None
    while True:
        page = selectors.list_returns(
            selectors.QueueFilters(status="all", before=before), page_size=3
        )
        seen += [row.rma for row in page.rows]
        if page.next_before is None:
            break
        before = page.next_before
    assert seen == every and len(every) == 7

    login(client, "amy", "agent")
    html = client.get(QUEUE, {"status": "all"}).content.decode()
    assert 'data-page="older"' not in html  # 7 fit on one page of 50
    assert (
        'data-page="newest"'
        in client.get(QUEUE, {"status": "all", "before": 10**9}).content.decode()
    )


def test_the_rows_fragment_is_what_the_live_refresh_swaps_in(client, shop):
    login(client, "amy", "agent")
    response = client.get(QUEUE, {"fragment": "rows", "status": "all"}, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="return-rows"')
    assert "live[detail.type.indexOf('return.')===0]" in html
    assert "<html" not in html


def test_the_queue_costs_the_same_queries_for_60_returns_as_for_2(
    client, shop, django_assert_max_num_queries
):
    login(client, "amy", "agent")
    with django_assert_max_num_queries(20) as baseline:
        client.get(QUEUE, {"status": "all"})
    skus = [f"SOCK-{index}" for index in range(7)]
    order = delivered_order(tuple((sku, 9) for sku in skus), warehouse_code="NORTH")
    for index in range(58):
        request(order, wanted(order, skus[index % 7], 1))
    with django_assert_max_num_queries(len(baseline.captured_queries)):
        response = client.get(QUEUE, {"status": "all"})
    assert len(rmas(response)) == 50
