"""The order action panels through the console (Django test client, htmx requests): each action
works for an agent, is refused without the role, re-renders its form with errors on bad input
or a refusal with nothing changed, and is linked to the rep's active case. The modify panel's
preview totals are what its confirm applies."""

import json
import re
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group, User
from django.urls import reverse
from django.utils import timezone

from notifications.models import Delivery, OutboxMessage
from orders import pricing
from orders.models import Order, OrderEvent, Stock, StockMovement
from orders.services import advance_shipment, place_order
from support.models import Case, CaseEvent
from tests.factories import ADDRESS, StockFactory, VariantFactory, WarehouseFactory
from tests.orders.builders import ACTOR, order_input, ship

pytestmark = pytest.mark.django_db

HX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def catalog(db):
    east = WarehouseFactory(code="EAST", region="NY", priority=10)
    west = WarehouseFactory(code="WEST", region="CA", priority=20)
    tee = VariantFactory(sku="TEE-M", price=Decimal("20.00"), name="Tee / M")
    tee_l = VariantFactory(sku="TEE-L", price=Decimal("22.00"), name="Tee / L")
    mug = VariantFactory(sku="MUG", price=Decimal("9.50"), name="Mug")
    StockFactory(variant=tee, warehouse=east, on_hand=10)
    StockFactory(variant=tee_l, warehouse=east, on_hand=10)
    StockFactory(variant=mug, warehouse=west, on_hand=3)
    return east, west


@pytest.fixture
def order(catalog, django_capture_on_commit_callbacks) -> Order:
    with django_capture_on_commit_callbacks(execute=True):
        return place_order(data=order_input([("TEE-M", 3)]), actor=ACTOR)


@pytest.fixture
def agent(client) -> User:
    user = User.objects.create_user("agent1")  # no password: hashing is slow
    user.groups.add(Group.objects.get(name="agent"))
    client.force_login(user)
    return user


@pytest.fixture
def case(order, agent, client) -> Case:
    now = timezone.now()
    opened = Case.objects.create(
        customer=order.customer,
        channel=Case.Channel.PHONE,
        reason=Case.Reason.CHANGE_ORDER,
        subject="Wants a change",
        opened_by=agent,
        opened_at=now,
        last_contact_at=now,
    )
    session = client.session
    session["console.active_case"] = opened.pk
    session.save()
    return opened


def url(name: str, order: Order) -> str:
    return reverse(f"console:{name}", kwargs={"number": order.number})


def state(order: Order) -> tuple:
    """What any action could change, to prove a refusal changed none of it."""
    order.refresh_from_db()
    return (
        order.status,
        order.total,
        order.needs_attention,
        list(order.lines.values_list("quantity", "quantity_cancelled")),
        OrderEvent.objects.filter(order=order).count(),
        StockMovement.objects.count(),
        OutboxMessage.objects.count(),
        CaseEvent.objects.count(),
    )


def triggers(response) -> dict:
    return json.loads(response["HX-Trigger"])


def assert_success(response) -> None:
    assert response.status_code == 204, response.content.decode()[:2000]
    fired = triggers(response)
    assert fired["panel:close"] and fired["order:changed"] and fired["flash"]


def linked_actions(case: Case) -> list[str]:
    return [event.data["action"] for event in CaseEvent.objects.filter(case=case)]


# --- Access ------------------------------------------------------------------------------------

ACTIONS = [
    "order-cancel",
    "order-cancel-lines",
    "order-hold",
    "order-release",
    "order-resend",
    "order-clear-attention",
    "order-edit",
    "order-edit-stock",
]


@pytest.mark.parametrize("name", ACTIONS)
def test_every_action_refuses_a_user_without_the_role(client, order, name):
    client.force_login(User.objects.create_user("clerk", is_staff=True))
    before = state(order)

    assert client.get(url(name, order), **HX).status_code == 403
    response = client.post(url(name, order), {"reason": "x", "confirm": "1"}, **HX)

    assert response.status_code == 403
    assert state(order) == before


@pytest.mark.parametrize("name", ACTIONS[:-1])
def test_every_panel_opens_for_an_agent_as_a_fragment_and_as_a_page(client, agent, order, name):
    fragment = client.get(url(name, order), **HX)
    page = client.get(url(name, order))

    assert fragment.status_code == page.status_code == 200
    assert 'class="panel-inner' in fragment.content.decode()
    assert "<html" not in fragment.content.decode()
    assert "<html" in page.content.decode() and 'class="panel-inner' in page.content.decode()


# --- Cancel, hold, release, clear attention ----------------------------------------------------


def test_cancel_order_is_linked_to_the_active_case(
    client, agent, order, case, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url("order-cancel", order), {"reason": "changed mind"}, **HX)

    assert_success(response)
    order.refresh_from_db()
    assert order.status == Order.Status.CANCELLED
    event = order.events.get(type=OrderEvent.Type.CANCELLED)
    assert (event.actor_label, event.actor_user_id, event.reason) == (
        "agent1",
        agent.pk,
        "changed mind",
    )
    assert linked_actions(case) == ["order_cancel"]
    assert order.payments.get().is_voided


def test_cancel_without_a_reason_shows_the_error_and_changes_nothing(client, agent, order, case):
    before = state(order)
    response = client.post(url("order-cancel", order), {"reason": "  "}, **HX)

    assert response.status_code == 400
    assert "errorlist" in response.content.decode()
    assert state(order) == before


def test_cancelling_a_shipped_order_is_refused_with_409_and_changes_nothing(
    client, agent, order, case
):
    ship(order.shipments.get(), "1Z1")
    before = state(order)

    response = client.post(url("order-cancel", order), {"reason": "too late"}, **HX)

    assert response.status_code == 409
    assert "form-error" in response.content.decode()
    assert state(order) == before


def test_plain_post_redirects_to_the_order_with_a_message(client, agent, order):
    response = client.post(url("order-hold", order), {"reason": "address check"}, follow=False)

    assert response.status_code == 302
    assert response["Location"] == reverse("console:order-detail", args=[order.number])
    order.refresh_from_db()
    assert order.status == Order.Status.ON_HOLD


def test_hold_then_release(client, agent, order, case):
    assert_success(client.post(url("order-hold", order), {"reason": "fraud review"}, **HX))
    order.refresh_from_db()
    assert (order.status, order.hold_reason) == (Order.Status.ON_HOLD, "fraud review")

    assert_success(client.post(url("order-release", order), {"reason": ""}, **HX))
    order.refresh_from_db()
    assert order.status == Order.Status.CONFIRMED
    assert linked_actions(case) == ["order_hold", "order_release"]


def test_hold_needs_a_reason_and_release_needs_a_hold(client, agent, order):
    before = state(order)
    assert client.post(url("order-hold", order), {"reason": ""}, **HX).status_code == 400
    refused = client.post(url("order-release", order), {"reason": ""}, **HX)
    assert refused.status_code == 409
    assert state(order) == before


def test_clear_attention(client, agent, order, case):
    Order.objects.filter(pk=order.pk).update(
        needs_attention=True, attention_reason="late", attention_at=timezone.now()
    )
    assert client.post(url("order-clear-attention", order), {"reason": ""}, **HX).status_code == 400

    response = client.post(url("order-clear-attention", order), {"reason": "called UPS"}, **HX)

    assert_success(response)
    order.refresh_from_db()
    assert not order.needs_attention
    assert order.events.get(type=OrderEvent.Type.ATTENTION_CLEARED).reason == "called UPS"
    assert linked_actions(case) == ["order_clear_attention"]
    before = state(order)
    again = client.post(url("order-clear-attention", order), {"reason": "again"}, **HX)
    assert again.status_code == 409 and state(order) == before


# --- Cancel lines ------------------------------------------------------------------------------


def test_cancel_lines_preselects_a_line_and_cancels_its_units(client, agent, order, case):
    line = order.lines.get()
    panel = client.get(url("order-cancel-lines", order) + f"?line={line.pk}", **HX).content.decode()
    assert re.search(rf'name="units_{line.pk}"[^>]*value="3"', panel)

    response = client.post(
        url("order-cancel-lines", order), {f"units_{line.pk}": "2", "reason": "too many"}, **HX
    )

    assert_success(response)
    line.refresh_from_db()
    assert line.quantity_cancelled == 2
    assert Stock.objects.get(variant__sku="TEE-M").allocated == 1
    assert linked_actions(case) == ["order_cancel_lines"]
    assert CaseEvent.objects.get(case=case).data["lines"] == [{"sku": "TEE-M", "quantity": 2}]


@pytest.mark.parametrize("units", ["0", "4", "-1", "x"])
def test_cancel_lines_bad_units_show_errors_and_change_nothing(client, agent, order, units):
    line = order.lines.get()
    before = state(order)

    response = client.post(
        url("order-cancel-lines", order), {f"units_{line.pk}": units, "reason": "r"}, **HX
    )

    assert response.status_code == 400
    assert "errorlist" in response.content.decode() or "form-error" in response.content.decode()
    assert state(order) == before


# --- Resend ------------------------------------------------------------------------------------


def test_resend_lists_the_customer_messages_and_emails_one_again(
    client, agent, order, case, mailoutbox, django_capture_on_commit_callbacks
):
    confirmation = Delivery.objects.get(
        aggregate_id=order.number, channel="email", event_type="order.confirmed"
    )
    order.customer.email = "ana.new@example.com"
    order.customer.save()
    panel = client.get(url("order-resend", order), **HX).content.decode()
    assert str(confirmation.message_id) in panel
    assert "ana.new@example.com" in panel  # the customer's current address is proposed
    mailoutbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            url("order-resend", order),
            {"message": str(confirmation.message_id), "email": "ana.new@example.com"},
            **HX,
        )

    assert_success(response)
    assert [m.to for m in mailoutbox] == [["ana.new@example.com"]]
    event = order.events.get(type=OrderEvent.Type.NOTIFICATION_RESENT)
    assert (event.data["event_type"], event.data["to"], event.actor_label) == (
        "order.confirmed",
        "ana.new@example.com",
        "agent1",
    )
    (updated,) = OutboxMessage.objects.filter(
        event_type="order.updated", aggregate_id=order.number
    )  # other reps' open order pages refresh
    assert updated.payload["event"]["type"] == "notification_resent"
    assert linked_actions(case) == ["order_resend"]


def test_resend_bad_input_shows_errors_and_sends_nothing(client, agent, order, mailoutbox):
    confirmation = Delivery.objects.get(aggregate_id=order.number, channel="email")
    mailoutbox.clear()
    before = state(order)

    bad_email = client.post(
        url("order-resend", order),
        {"message": str(confirmation.message_id), "email": "nope"},
        **HX,
    )
    unknown = client.post(
        url("order-resend", order),
        {"message": "00000000-0000-0000-0000-000000000000", "email": "a@example.com"},
        **HX,
    )

    assert bad_email.status_code == unknown.status_code == 400
    assert state(order) == before and not mailoutbox


# --- Modify ------------------------------------------------------------------------------------


def edit_form(order: Order, **changes) -> dict:
    """The edit panel's form as the browser posts it, with `changes` on top."""
    data = {key: ADDRESS.get(key, "") for key in ADDRESS_KEYS}
    data["shipping_method"] = order.shipping_method
    for line in order.lines.all():
        data[f"qty_{line.pk}"] = str(line.quantity_active)
        data[f"swap_{line.pk}"] = ""
    for row in range(3):
        data[f"add_sku_{row}"], data[f"add_qty_{row}"] = "", ""
    data.update(changes)
    return data


ADDRESS_KEYS = ("name", "line1", "line2", "city", "region", "postal_code", "country", "phone")


def previewed_total(response) -> str:
    return re.search(r'name="expected_total" value="([^"]+)"', response.content.decode()).group(1)


def test_edit_preview_totals_are_what_the_confirm_applies(
    client, agent, order, case, django_capture_on_commit_callbacks
):
    line = order.lines.get()
    changes = {
        f"qty_{line.pk}": "2",
        "add_sku_0": "MUG",
        "add_qty_0": "2",
        "shipping_method": "express",
        "reason": "customer called",
    }
    before = state(order)

    preview = client.post(
        url("order-edit", order), {**edit_form(order, **changes), "preview": "1"}, **HX
    )

    assert preview.status_code == 200, preview.content.decode()[:3000]
    assert state(order) == before  # a preview changes nothing
    html = preview.content.decode()
    expected = previewed_total(preview)
    assert Decimal(expected) == Decimal("40.00") + Decimal("19.00") + Decimal("14.90")
    assert 'data-difference="charge"' in html and "Additional charge" in html
    assert 'name="confirm"' in html

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            url("order-edit", order),
            {**edit_form(order, **changes), "expected_total": expected, "confirm": "1"},
            **HX,
        )

    assert_success(response)
    order.refresh_from_db()
    assert order.total == Decimal(expected) == pricing.order_totals(order, order.lines.all()).total
    assert order.shipping_method == "express"
    assert order.events.filter(type=OrderEvent.Type.MODIFIED).count() == 1
    assert order.payments.get().amount_authorized == order.total
    assert linked_actions(case) == ["order_edit"]


def test_edit_lower_total_is_labelled_lower_amount_due(client, agent, order):
    line = order.lines.get()
    response = client.post(
        url("order-edit", order),
        {**edit_form(order, **{f"qty_{line.pk}": "1"}), "preview": "1"},
        **HX,
    )
    assert 'data-difference="lower_amount_due"' in response.content.decode()
    assert "Lower amount due" in response.content.decode()


def test_edit_after_shipment_is_refused_through_the_view(client, agent, order, case):
    ship(order.shipments.get(), "1Z9")
    before = state(order)

    response = client.post(
        url("order-edit", order),
        {
            **edit_form(order, shipping_method="express", reason="r"),
            "expected_total": "1",
            "confirm": "1",
        },
        **HX,
    )

    assert response.status_code == 409
    assert "has shipped" in response.content.decode()
    assert state(order) == before


def test_edit_after_packing_is_refused_through_the_view(client, agent, order):
    advance_shipment(shipment=order.shipments.get(), status="packed", actor=ACTOR)
    before = state(order)

    response = client.post(
        url("order-edit", order),
        {**edit_form(order, shipping_method="express"), "preview": "1"},
        **HX,
    )

    assert response.status_code == 409
    assert state(order) == before


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"add_sku_1": "NOPE", "add_qty_1": "1"}, "add_sku_1"),
        ({"add_sku_0": "MUG", "add_qty_0": ""}, "add_qty_0"),
        ({"qty_LINE": "-2"}, "qty_LINE"),
        ({"swap_LINE": "TEE-M"}, "swap_LINE"),
        ({"city": ""}, "city"),
        ({}, None),  # nothing changed
        ({"add_sku_0": "MUG", "add_qty_0": "9"}, None),  # not enough stock
    ],
    ids=["unknown sku", "no quantity", "negative", "same sku", "city missing", "nothing", "stock"],
)
def test_edit_bad_input_shows_errors_where_they_belong(client, agent, order, changes, field):
    line = order.lines.get()
    changes = {k.replace("LINE", str(line.pk)): v for k, v in changes.items()}
    field = field and field.replace("LINE", str(line.pk))
    before = state(order)

    response = client.post(
        url("order-edit", order), {**edit_form(order, **changes), "preview": "1"}, **HX
    )

    assert response.status_code in (400, 409)
    html = response.content.decode()
    if field:
        assert f'id="id_{field}-errors"' in html, html[:4000]
    else:
        assert "form-error" in html
    assert state(order) == before


def test_edit_confirm_with_a_stale_preview_is_409(client, agent, order):
    line = order.lines.get()
    preview = client.post(
        url("order-edit", order),
        {**edit_form(order, add_sku_0="MUG", add_qty_0="1"), "preview": "1"},
        **HX,
    )
    expected = previewed_total(preview)
    client.post(  # another rep cancels a unit meanwhile
        url("order-cancel-lines", order), {f"units_{line.pk}": "1", "reason": "other rep"}, **HX
    )
    before = state(order)

    response = client.post(
        url("order-edit", order),
        {
            **edit_form(order, add_sku_0="MUG", add_qty_0="1", reason="r"),
            "expected_total": expected,
            "confirm": "1",
        },
        **HX,
    )

    assert response.status_code == 409
    assert "changed since the preview" in response.content.decode()
    assert state(order) == before


def test_edit_confirm_needs_a_reason_and_a_preview(client, agent, order):
    before = state(order)
    no_reason = client.post(
        url("order-edit", order),
        {**edit_form(order, shipping_method="express"), "expected_total": "1", "confirm": "1"},
        **HX,
    )
    no_preview = client.post(
        url("order-edit", order),
        {**edit_form(order, shipping_method="express", reason="r"), "confirm": "1"},
        **HX,
    )
    assert no_reason.status_code == no_preview.status_code == 400
    assert state(order) == before


def test_sku_stock_shows_live_stock_per_warehouse(client, agent, order):
    response = client.get(url("order-edit-stock", order), {"add_sku_0": "MUG"}, **HX)
    html = response.content.decode()
    assert response.status_code == 200
    assert "WEST" in html and "Mug" in html
    unknown = client.get(url("order-edit-stock", order), {"add_sku_0": "zzz"}, **HX)
    assert "zzz" in unknown.content.decode()


def test_edit_panel_queries_are_bounded_whatever_the_number_of_lines(
    client, agent, catalog, django_assert_max_num_queries
):
    skus = []
    for index in range(30):
        variant = VariantFactory(sku=f"BULK-{index}")
        StockFactory(variant=variant, warehouse=catalog[0], on_hand=5)
        skus.append((variant.sku, 1))
    big = place_order(data=order_input(skus), actor=ACTOR)

    with django_assert_max_num_queries(12):
        response = client.get(url("order-edit", big), **HX)
    assert response.status_code == 200
