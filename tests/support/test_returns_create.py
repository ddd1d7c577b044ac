"""Creating a return for a customer from the order page: the panel shows the policy's answer for
every line (and why not), the estimate before anything is written, then creates the return
through the same service as the portal and the API (via console, by the rep), approved at once
unless the policy wants a review, linked to the rep's active case. Refusals show on their line
and create nothing; a double submit creates one return."""

import json

import pytest
from django.contrib.auth.models import Group, User
from django.urls import reverse
from django.utils import timezone

from orders.models import Order
from returns.models import ReturnEvent, ReturnRequest
from support.context import SESSION_KEY
from support.models import Case, CaseEvent
from tests.returns import portal_helpers
from tests.returns.lifecycle_builders import delivered_order, return_marks, store_policy

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


def login(client, role: str = "agent") -> User:
    user = User.objects.create_user(f"{role}-create", is_staff=True)
    user.groups.add(Group.objects.get(name=role))
    client.force_login(user)
    return user


@pytest.fixture
def order() -> Order:
    """Delivered: 2 x TEE-M and 1 x CAP at 20.00 (store_policy: 30 days, "other" needs a
    review, "no_longer_wanted" costs 10 %)."""
    store_policy()
    return delivered_order()


def url(order: Order) -> str:
    return reverse("console:order-return", args=[order.number])


def lines(order: Order) -> dict[str, int]:
    return {line.sku: line.pk for line in order.lines.all()}


def form(order: Order, **per_sku) -> dict:
    """Posted fields: resolution, reference, and per SKU (quantity, reason[, variant id])."""
    data = {"resolution": "refund", "reference": "ref-1", "note": "Called in"}
    for sku, (quantity, reason, *variant) in per_sku.items():
        pk = lines(order)[sku]
        data[f"quantity-{pk}"] = str(quantity)
        data[f"reason-{pk}"] = reason
        if variant:
            data[f"exchange-{pk}"] = str(variant[0])
    return data


def test_the_panel_gives_the_policys_answer_for_every_line(client, order):
    login(client)
    order.lines.filter(sku="CAP").update(is_final_sale=True)
    response = client.get(url(order), **HTMX)
    html = response.content.decode()
    assert response.status_code == 200 and 'data-panel="return"' in html
    assert html.count("Returnable until") == 1
    assert 'data-code="final_sale"' in html and "Final sale items cannot be returned." in html
    cap = lines(order)["CAP"]
    assert f'name="quantity-{cap}"' not in html
    assert 'name="resolution" value="exchange"' in html
    assert "Not offered for this order" in html  # no other size of these products


def test_preview_shows_the_estimate_and_writes_nothing(client, order):
    login(client)
    before = return_marks()
    data = form(order, **{"TEE-M": (2, "no_longer_wanted")})
    response = client.post(url(order), {**data, "preview": "1"}, **HTMX)
    html = response.content.decode()
    assert response.status_code == 200
    assert "data-estimate-total>$36.00<" in html  # 40.00 less the 10 % restocking fee
    assert "Restocking fee" in html and "Approved at once" in html
    assert return_marks() == before


def test_a_reason_that_needs_review_says_so_in_the_preview(client, order):
    login(client)
    data = form(order, CAP=(1, "other"))
    html = client.post(url(order), {**data, "preview": "1"}, **HTMX).content.decode()
    assert "data-requires-review" in html


def test_confirming_creates_the_return_as_the_rep_via_the_console(client, order):
    user = login(client)
    now = timezone.now()
    case = Case.objects.create(
        customer=order.customer,
        order=order,
        channel=Case.Channel.PHONE,
        reason=Case.Reason.RETURN_EXCHANGE,
        subject="Wants to return a tee",
        opened_by=user,
        opened_at=now,
        last_contact_at=now,
    )
    session = client.session
    session[SESSION_KEY] = case.pk
    session.save()
    data = {**form(order, **{"TEE-M": (1, "size_too_small")}), "confirm": "1"}
    response = client.post(url(order), data, **HTMX)
    assert response.status_code == 204
    trigger = json.loads(response["HX-Trigger"])
    assert trigger["order:changed"] and "created and approved" in trigger["flash"]
    created = ReturnRequest.objects.get()
    assert (created.requested_via, created.status, created.resolution) == (
        "console",
        "approved",
        "refund",
    )
    assert (created.actor_kind, created.actor_label) == ("staff", user.username)
    assert created.customer_note == "Called in"
    requested = ReturnEvent.objects.get(return_request=created, type="requested")
    assert requested.actor_label == user.username
    note = CaseEvent.objects.get(case=case, type=CaseEvent.Type.ACTION)
    assert note.data == {"action": "return_create", "rma": created.rma}

    again = client.post(url(order), data, **HTMX)  # the same form sent twice
    assert again.status_code == 204
    assert ReturnRequest.objects.count() == 1


def test_a_return_the_policy_wants_reviewed_waits_for_a_supervisor(client, order):
    login(client)
    data = {**form(order, CAP=(1, "other")), "confirm": "1"}
    response = client.post(url(order), data, **HTMX)
    assert "waits for a supervisor" in json.loads(response["HX-Trigger"])["flash"]
    assert ReturnRequest.objects.get().status == "requested"


@pytest.mark.parametrize(
    ("per_sku", "message"),
    [
        ({"TEE-M": (1, "")}, "reason"),
        ({"TEE-M": (3, "size_too_small")}, "TEE-M"),
        ({}, "Choose at least one item"),
    ],
)
def test_a_refused_return_shows_why_and_creates_nothing(client, order, per_sku, message):
    login(client)
    before = return_marks()
    response = client.post(url(order), {**form(order, **per_sku), "confirm": "1"}, **HTMX)
    html = response.content.decode()
    assert response.status_code == 400
    assert 'class="errorlist"' in html or 'class="form-error"' in html
    assert return_marks() == before


def test_an_exchange_for_another_size_from_the_console(client):
    portal_helpers.store_policy()
    order = portal_helpers.delivered()
    sizes = portal_helpers.tee_sizes()
    login(client)
    html = client.get(url(order), **HTMX).content.decode()
    assert f'value="{sizes["L"].pk}"' in html and "10 in stock" in html
    data = {
        **form(order, **{"TEE-M": (1, "size_too_small", sizes["L"].pk)}),
        "resolution": "exchange",
        "confirm": "1",
    }
    assert client.post(url(order), data, **HTMX).status_code == 204
    line = ReturnRequest.objects.get().lines.get()
    assert line.exchange_variant == sizes["L"]


def test_the_warehouse_cannot_create_returns(client, order):
    login(client, "warehouse")
    before = return_marks()
    data = {**form(order, **{"TEE-M": (1, "size_too_small")}), "confirm": "1"}
    assert client.post(url(order), data, **HTMX).status_code == 403
    assert return_marks() == before
