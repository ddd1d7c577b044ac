"""The warehouse's receive and inspect station, through its views: a scan (RMA in any case, with a
typed hyphen, or the return tracking number) brings the return up at its step; receiving
records units and condition per line (partial receipts too, at another warehouse if it arrived
there); inspection decides restock, damaged or scrap and restocks; the station is then ready for
the next scan. A scan that finds nothing, a parcel that must not be accepted, and a receipt or
an inspection the service refuses show why and change nothing."""

import pytest
from django.contrib.auth.models import Group, User
from django.urls import reverse

from orders.models import OrderLine, Stock
from returns.models import ReturnRequest
from tests.factories import WarehouseFactory
from tests.returns.lifecycle_builders import (
    delivered_order,
    request,
    return_marks,
    store_policy,
    wanted,
)

pytestmark = pytest.mark.django_db
STATION = reverse("console:returns-receive")
HTMX = {"HTTP_HX_REQUEST": "true"}


def login(client, role: str = "warehouse") -> User:
    user = User.objects.create_user(f"{role}-station")
    user.groups.add(Group.objects.get(name=role))
    client.force_login(user)
    return user


@pytest.fixture
def parcel():
    """An approved refund of 2 x TEE-M and 1 x CAP, on its way to EAST (store_policy: money
    released on receipt)."""
    store_policy()
    order = delivered_order()
    r = request(order, wanted(order, "TEE-M", 2), wanted(order, "CAP", 1))
    assert r.status == "approved"
    lines = {line.order_line.sku: line for line in r.lines.select_related("order_line")}
    return {"order": order, "return": r, "tee": lines["TEE-M"], "cap": lines["CAP"]}


def scan(client, code: str, **params):
    return client.get(STATION, {"code": code, **params}, **HTMX)


def on_hand(sku: str) -> int:
    return Stock.objects.get(variant__sku=sku).on_hand


def test_the_station_waits_for_a_scan_with_the_input_focused(client):
    login(client)
    response = client.get(STATION)
    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="scan-code"' in html and "autofocus" in html.split('id="scan-code"', 1)[1][:600]
    assert 'data-step="scan"' in html


@pytest.mark.parametrize("how", ["rma", "lower", "hyphen", "tracking", "tracking_lower"])
def test_a_scan_brings_the_return_up_at_the_receive_step(client, parcel, how):
    login(client)
    r = parcel["return"]
    code = {
        "rma": r.rma,
        "lower": r.rma.lower(),
        "hyphen": r.rma.replace("R", "R-", 1),
        "tracking": r.tracking_number,
        "tracking_lower": f"  {r.tracking_number.lower()} ",
    }[how]
    response = scan(client, code)
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<div id="receive-station"')  # the station alone
    assert 'data-step="receive"' in html and f'data-rma="{r.rma}"' in html
    assert f'name="quantity-{parcel["tee"].pk}"' in html
    assert 'value="2"' in html  # the units expected, ready to confirm with Enter
    assert 'data-action="receive" autofocus' in html


def test_an_unknown_code_says_so_and_is_ready_for_the_next_scan(client, parcel):
    login(client)
    response = scan(client, "RP000000000000")
    html = response.content.decode()
    assert response.status_code == 404
    assert "No return matches “RP000000000000”" in html
    assert 'data-result="error"' in html and 'data-step="scan"' in html


def test_a_parcel_that_must_not_be_accepted_is_told_apart(client, parcel):
    other = delivered_order((("SOCK", 1),), warehouse_code="WEST", email="bo@example.com")
    waiting = request(other, wanted(other, "SOCK", 1, reason="other"))
    login(client)
    html = scan(client, waiting.rma).content.decode()
    assert 'data-step="done"' in html and 'name="quantity-' not in html
    assert "waiting for a review: do not accept the parcel yet" in html
    ReturnRequest.objects.filter(pk=parcel["return"].pk).update(status="cancelled")
    html = scan(client, parcel["return"].rma).content.decode()
    assert "This return was cancelled: do not accept the parcel." in html
    assert 'name="quantity-' not in html


def test_receiving_then_inspecting_restocks_and_is_ready_for_the_next_parcel(client, parcel):
    login(client)
    r, tee, cap = parcel["return"], parcel["tee"], parcel["cap"]
    stock = (on_hand("TEE-M"), on_hand("CAP"))
    receive_url = reverse("console:return-receive", args=[r.rma])
    response = client.post(
        receive_url,
        {
            f"quantity-{tee.pk}": "2",
            f"condition-{tee.pk}": "as_new",
            f"quantity-{cap.pk}": "1",
            f"condition-{cap.pk}": "damaged",
            "warehouse": "EAST",
        },
        **HTMX,
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert f"{r.rma}: 3 units received" in html and 'data-result="ok"' in html
    assert 'data-step="inspect"' in html
    # The condition suggests the disposition: as new -> restock, damaged -> damaged stock.
    assert f'name="disposition-{tee.pk}" value="restock" checked' in html
    assert f'name="disposition-{cap.pk}" value="damaged" checked' in html
    assert list(OrderLine.objects.order_by("sku").values_list("sku", "quantity_returned")) == [
        ("CAP", 1),
        ("TEE-M", 2),
    ]
    r.refresh_from_db()
    assert r.status == "refunded"  # the policy releases on receipt

    inspect_url = reverse("console:return-inspect", args=[r.rma])
    response = client.post(
        inspect_url,
        {f"disposition-{tee.pk}": "restock", f"disposition-{cap.pk}": "damaged"},
        **HTMX,
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert f"{r.rma} inspected: 2 units back in stock at EAST." in html
    assert "Ready for the next parcel." in html
    assert 'data-step="scan"' in html and "autofocus" in html
    assert (on_hand("TEE-M"), on_hand("CAP")) == (stock[0] + 2, stock[1])
    r.refresh_from_db()
    assert r.inspected_at is not None


def test_too_many_units_show_on_the_line_and_change_nothing(client, parcel):
    login(client)
    r, tee = parcel["return"], parcel["tee"]
    before = return_marks()
    response = client.post(
        reverse("console:return-receive", args=[r.rma]),
        {f"quantity-{tee.pk}": "3", f"condition-{tee.pk}": "as_new", "warehouse": "EAST"},
        **HTMX,
    )
    html = response.content.decode()
    assert response.status_code == 400
    assert 'data-result="error"' in html
    assert "between 1 and 2 more units can be received" in html
    assert 'value="3" inputmode="numeric" autofocus' in html  # what was typed, focused
    assert return_marks() == before


@pytest.mark.parametrize("quantity", ["abc", "-1", "0"])
def test_a_receipt_without_units_is_refused(client, parcel, quantity):
    login(client)
    r, tee = parcel["return"], parcel["tee"]
    before = return_marks()
    response = client.post(
        reverse("console:return-receive", args=[r.rma]),
        {f"quantity-{tee.pk}": quantity, f"condition-{tee.pk}": "as_new", "warehouse": "EAST"},
        **HTMX,
    )
    assert response.status_code == 400
    assert return_marks() == before


def test_a_partial_receipt_can_be_completed_later(client, parcel):
    login(client)
    r, tee, cap = parcel["return"], parcel["tee"], parcel["cap"]
    client.post(
        reverse("console:return-receive", args=[r.rma]),
        {f"quantity-{tee.pk}": "1", f"condition-{tee.pk}": "opened", f"quantity-{cap.pk}": "0"},
        **HTMX,
    )
    html = scan(client, r.rma).content.decode()
    assert 'data-step="inspect"' in html and "Receive more units" in html
    html = scan(client, r.rma, step="receive").content.decode()
    assert 'data-step="receive"' in html
    assert f'name="quantity-{tee.pk}" min="0" max="1" value="1"' in html


def test_a_parcel_that_arrived_at_another_warehouse_is_restocked_there(client, parcel):
    WarehouseFactory(code="WEST", region="CA", priority=20)
    login(client)
    r, tee, cap = parcel["return"], parcel["tee"], parcel["cap"]
    client.post(
        reverse("console:return-receive", args=[r.rma]),
        {
            f"quantity-{tee.pk}": "2",
            f"condition-{tee.pk}": "as_new",
            f"quantity-{cap.pk}": "1",
            f"condition-{cap.pk}": "as_new",
            "warehouse": "WEST",
        },
        **HTMX,
    )
    r.refresh_from_db()
    assert r.warehouse.code == "WEST"


def test_an_inspection_must_decide_every_received_line_or_nothing_changes(client, parcel):
    login(client)
    r, tee, cap = parcel["return"], parcel["tee"], parcel["cap"]
    client.post(
        reverse("console:return-receive", args=[r.rma]),
        {
            f"quantity-{tee.pk}": "2",
            f"condition-{tee.pk}": "as_new",
            f"quantity-{cap.pk}": "1",
            f"condition-{cap.pk}": "wrong_item",
        },
        **HTMX,
    )
    html = scan(client, r.rma).content.decode()
    assert f'name="disposition-{cap.pk}" value="restock" checked' not in html  # no guess
    before = return_marks()
    response = client.post(
        reverse("console:return-inspect", args=[r.rma]),
        {f"disposition-{tee.pk}": "restock"},
        **HTMX,
    )
    assert response.status_code == 400
    assert 'data-result="error"' in response.content.decode()
    assert return_marks() == before
    r.refresh_from_db()
    assert r.inspected_at is None


def test_the_station_answers_in_a_bounded_number_of_queries(
    client, parcel, django_assert_max_num_queries
):
    login(client)
    with django_assert_max_num_queries(20):
        scan(client, parcel["return"].rma)
