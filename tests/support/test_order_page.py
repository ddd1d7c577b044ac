"""The console's order page: status and holds at a glance, per-line quantities and money,
payments with their ledger, shipments with scans and promised-vs-estimated dates, adjustments,
approvals, the timeline (who, when, why), messages, cases and linked orders; the action buttons
the rep's permissions and the order's state allow; the live body fragment; and the same number
of queries for an order of 50 lines as for one of 2."""

from datetime import UTC, date, datetime
from decimal import Decimal
from functools import partial

import pytest
from django.contrib.auth.models import Group, Permission, User
from django.urls import reverse
from django.utils import timezone

from notifications.models import Delivery, OutboxMessage
from oms.actors import Actor
from orders import services
from orders.models import Order, OrderAdjustment, OrderEvent, Shipment
from orders.services import events
from support.models import ApprovalRequest, Case
from support.selectors.orders import get_console_order
from tests.factories import StockFactory, VariantFactory, WarehouseFactory
from tests.orders.builders import ACTOR, order_input, ship

pytestmark = pytest.mark.django_db
STAFF = Actor(kind="staff", label="maria.agent", user_id=None)
TRACKING = "1Z999AA10123456784"


def login(client, username: str, role: str | None = "agent") -> User:
    user = User.objects.create_user(username, password="x", is_staff=True)
    if role:
        user.groups.add(Group.objects.get(name=role))
    client.force_login(user)
    return user


@pytest.fixture
def agent(client):
    return login(client, "agent-order")


def stocked_skus(count: int) -> list[str]:
    warehouse = WarehouseFactory(code="EAST")
    skus = []
    for index in range(count):
        variant = VariantFactory(sku=f"SKU-{index:03d}", price=Decimal("10.00") + index)
        StockFactory(variant=variant, warehouse=warehouse, on_hand=100)
        skus.append(variant.sku)
    return skus


def place(skus: list[str], quantity: int = 2, **overrides) -> Order:
    return services.place_order(
        data=order_input([(sku, quantity) for sku in skus], **overrides), actor=ACTOR
    )


def page(client, order: Order) -> str:
    response = client.get(reverse("console:order-detail", args=[order.number]))
    assert response.status_code == 200
    return response.content.decode()


def scan(status: str, event_id: str, hour: int, location: str) -> None:
    services.record_tracking_event(
        carrier="ups",
        tracking_number=TRACKING,
        carrier_event_id=event_id,
        status=status,
        occurred_at=datetime(2026, 11, 20, hour, tzinfo=UTC),
        location=location,
        description=f"Scan at {location}",
        actor=ACTOR,
    )


@pytest.fixture
def busy_order(db, django_capture_on_commit_callbacks):
    """Two warehouses, so the order splits: one parcel shipped with scans, one still packing.
    One line partly cancelled, a price adjustment, approvals, a case, an email, a replacement."""
    west = WarehouseFactory(code="WEST", priority=20)
    east = WarehouseFactory(code="EAST", priority=10)
    tee = VariantFactory(sku="TEE-M", name="Organic Tee / M", price=Decimal("20.00"))
    mug = VariantFactory(sku="MUG-1", name="Stoneware Mug", price=Decimal("12.50"))
    StockFactory(variant=tee, warehouse=east, on_hand=10)
    StockFactory(variant=mug, warehouse=west, on_hand=10)
    order = services.place_order(
        data=order_input(
            [("TEE-M", 3), ("MUG-1", 2)],
            promised_delivery_date=date(2026, 11, 22),
            external_reference="SF-1001",
        ),
        actor=ACTOR,
    )
    tee_line, mug_line = order.lines.order_by("line_number")
    services.cancel_lines(
        order=order, lines=[(mug_line.pk, 1)], actor=STAFF, reason="Customer wants only one mug"
    )
    east_parcel = order.shipments.get(warehouse=east)
    with django_capture_on_commit_callbacks(execute=True):  # captures the shipped part
        ship(east_parcel, TRACKING)
    scan("in_transit", "s1", 9, "Kearny, NJ")
    scan("out_for_delivery", "s2", 15, "Newark, NJ")
    Shipment.objects.filter(pk=east_parcel.pk).update(
        promised_delivery_date=date(2026, 11, 22), estimated_delivery_date=date(2026, 11, 25)
    )
    OrderAdjustment.objects.create(
        order=order,
        line=tee_line,
        kind="price_adjustment",
        amount=Decimal("5.00"),
        reason_code="price_match",
        note="Matched the sale price",
        approved_by_label="boss",
        **STAFF.as_fields(),
    )
    requester = User.objects.create_user("maria.agent")
    decider = User.objects.create_user("boss")
    ApprovalRequest.objects.create(
        action="goodwill_credit",
        order=order,
        amount=Decimal("45.00"),
        currency="USD",
        reason_code="late_delivery",
        note="Third delay",
        requested_by=requester,
    )
    ApprovalRequest.objects.create(
        action="price_adjustment",
        order=order,
        amount=Decimal("30.00"),
        currency="USD",
        reason_code="price_match",
        note="Too much",
        requested_by=requester,
        status="rejected",
        decided_by=decider,
        decided_at=timezone.now(),
        decision_note="Over the usual",
    )
    Case.objects.create(
        customer=order.customer,
        order=order,
        channel="phone",
        reason="delay",
        subject="Parcel is late",
        opened_at=timezone.now(),
        last_contact_at=timezone.now(),
    )
    message = OutboxMessage.objects.create(
        event_type="order.created", aggregate_type="order", aggregate_id=order.number, payload={}
    )
    Delivery.objects.create(
        message=message,
        channel="email",
        target=order.email,
        event_type="order.created",
        aggregate_type="order",
        aggregate_id=order.number,
        status="sent",
        next_attempt_at=timezone.now(),
        detail="We got your order",
    )
    replacement = place(["TEE-M"], 1, channel="replacement", original_order_id=order.pk)
    order.refresh_from_db()
    return {"order": order, "replacement": replacement, "tee": tee_line, "mug": mug_line}


def test_lines_show_ordered_cancelled_shipped_and_returned_with_money(client, agent, busy_order):
    view = get_console_order(busy_order["order"].number)
    tee, mug = view.lines
    assert (tee.line.quantity, tee.line.quantity_shipped, tee.units) == (3, 3, 3)
    assert (mug.line.quantity, mug.line.quantity_cancelled, mug.units) == (2, 1, 1)
    assert mug.total == Decimal("12.50") and tee.unit_price == Decimal("20.00")
    html = page(client, busy_order["order"])
    assert "Organic Tee / M" in html and "Stoneware Mug" in html
    assert f'id="line-{busy_order["mug"].pk}"' in html
    assert "$12.50" in html and "$60.00" in html


def test_totals_match_the_order(client, agent, busy_order):
    order = busy_order["order"]
    totals = get_console_order(order.number).totals
    assert totals.subtotal == order.subtotal.quantize(Decimal("0.01"))
    assert totals.total == order.total.quantize(Decimal("0.01"))
    assert totals.subtotal - totals.line_discounts - totals.order_discount + totals.shipping == (
        totals.total
    )
    assert f'id="order-total">${order.total:.2f}<' in page(client, order)


def test_status_customer_channel_and_placed_by(client, agent, busy_order):
    order = busy_order["order"]
    html = page(client, order)
    assert 'class="badge badge-partially_shipped badge-lg"' in html
    assert "Partially shipped" in html
    assert f'href="/console/customers/{order.customer_id}/"' in html
    assert "SF-1001" in html and "Web store" in html and "tests" in html  # placed by ACTOR


def test_payments_are_listed_with_their_ledger(client, agent, busy_order):
    view = get_console_order(busy_order["order"].number)
    kinds = [t.kind for p in view.payments for t in p.transactions.all()]
    assert kinds[0] == "authorize" and "capture" in kinds
    html = page(client, busy_order["order"])
    assert "Authorize" in html and "Capture" in html and "Visa" in html


def test_shipments_show_tracking_scans_newest_first_and_highlight_late(client, agent, busy_order):
    view = get_console_order(busy_order["order"].number, today=date(2026, 11, 21))
    shipped = next(row for row in view.shipments if row.shipment.tracking_number == TRACKING)
    waiting = next(row for row in view.shipments if row.shipment is not shipped.shipment)
    assert [s.carrier_event_id for s in shipped.scans] == ["s2", "s1"]
    assert (shipped.is_late, shipped.days_late) == (True, 3)
    assert not waiting.is_late
    html = page(client, busy_order["order"])
    assert TRACKING in html and "UPS" in html and "EAST" in html
    assert html.index("Newark, NJ") < html.index("Kearny, NJ")
    assert "is-late" in html and "3 days late" in html


def test_the_timeline_is_newest_first_with_who_and_why(client, agent, busy_order):
    order = busy_order["order"]
    view = get_console_order(order.number)
    assert view.timeline[0].created_at >= view.timeline[-1].created_at
    assert view.timeline[-1].type == OrderEvent.Type.PLACED
    html = page(client, order)
    timeline = html[html.index('id="timeline"') :]
    assert timeline.index("Lines cancelled") < timeline.index("Order placed")
    assert "maria.agent" in timeline and "Customer wants only one mug" in timeline
    assert "MUG-1 ×1" in timeline  # the event's key data


def test_the_timeline_shows_reason_codes_by_their_labels(client, agent):
    order = place(stocked_skus(1))
    record = partial(events.record, order, actor=STAFF)
    record(OrderEvent.Type.GOODWILL, reason="late_delivery", data={"amount": "5.00"})
    record(OrderEvent.Type.ADJUSTED, reason="damaged", data={"kind": "price_adjustment"})
    record(OrderEvent.Type.REPLACEMENT, reason="wrong_item", data={"replacement": "X-1"})
    record(OrderEvent.Type.APPROVAL_REQUESTED, reason="damaged", data={"action": "reship"})
    record(OrderEvent.Type.APPROVAL_DECIDED, reason="price_match", data={"action": "refund"})
    html = page(client, order)
    timeline = html[html.index('id="timeline"') :]
    for label in ("Late delivery", "Damaged item", "Wrong item sent", "Arrived damaged"):
        assert f"“{label}”" in timeline, label
    assert "“Price match”" in timeline
    for code in ("late_delivery", "damaged", "wrong_item", "price_match"):
        assert f"“{code}”" not in timeline, code


def test_the_timeline_shows_a_typed_reason_as_written(client, agent):
    order = place(stocked_skus(1))
    services.hold_order(order=order, actor=STAFF, reason="damaged")
    assert "“damaged”" in page(client, order)


def test_adjustments_approvals_cases_messages_and_linked_orders(client, agent, busy_order):
    order, replacement = busy_order["order"], busy_order["replacement"]
    html = page(client, order)
    assert "Matched the sale price" in html and "approved by boss" in html
    assert "Waiting for approval" in html and "$45.00" in html
    assert "Over the usual" in html and "Rejected" in html
    assert "Parcel is late" in html
    assert "We got your order" in html
    assert f'href="/console/orders/{replacement.number}/"' in html
    assert f'href="/console/orders/{order.number}/"' in page(client, replacement)


def test_the_toolbar_offers_what_the_status_allows(client, agent):
    skus = stocked_skus(2)
    confirmed = place(skus)
    html = page(client, confirmed)
    for action in ("cancel", "cancel-lines", "hold", "edit", "adjust", "goodwill", "resend"):
        assert f'data-action="{action}"' in html, action
    for action in ("release", "reship", "clear-attention"):
        assert f'data-action="{action}"' not in html, action
    line = confirmed.lines.first()
    cancel_lines = reverse("console:order-cancel-lines", args=[confirmed.number])
    assert f'hx-get="{cancel_lines}?line={line.pk}"' in html
    assert 'hx-target="#panel"' in html
    assert f'href="{reverse("console:case-new")}?order={confirmed.number}"' in html

    services.hold_order(order=confirmed, actor=ACTOR, reason="Fraud review")
    held = page(client, confirmed)
    assert 'data-action="release"' in held and 'data-action="hold"' not in held
    assert "Fraud review" in held


def test_a_shipped_order_offers_reship_but_no_edit_or_cancel(client, agent):
    order = place(stocked_skus(1))
    ship(order.shipments.get(), "T-1")
    Order.objects.filter(pk=order.pk).update(
        needs_attention=True, attention_reason="Parcel stalled", attention_at=timezone.now()
    )
    html = page(client, order)
    assert 'data-action="reship"' in html and 'data-action="clear-attention"' in html
    for action in ("edit", "cancel", "cancel-lines", "hold"):
        assert f'data-action="{action}"' not in html, action
    assert "Needs attention" in html and "Parcel stalled" in html


def test_a_cancelled_order_offers_goodwill_but_no_price_adjustment(client, agent):
    order = place(stocked_skus(1))
    services.cancel_order(order=order, actor=ACTOR, reason="Changed their mind")
    html = page(client, order)
    assert 'data-action="goodwill"' in html
    for action in ("adjust", "cancel", "edit", "hold"):
        assert f'data-action="{action}"' not in html, action


def test_a_rep_without_action_permissions_sees_no_action_buttons(client, db):
    order = place(stocked_skus(1))
    viewer = Group.objects.create(name="viewer")
    viewer.permissions.add(Permission.objects.get(codename="use_console"))
    user = login(client, "viewer-1", "viewer")
    assert user.has_perm("support.use_console")
    html = page(client, order)
    assert "data-action=" in html  # only "open case"
    assert html.count("data-action=") == 1


def test_the_page_listens_to_its_order_and_refreshes_its_body(client, agent, busy_order):
    order = busy_order["order"]
    html = page(client, order)
    assert f'data-live-stream="/events/stream/?as=live&order={order.number}"' in html
    assert "live from:body throttle:500ms, order:changed from:body" in html
    fragment = client.get(
        reverse("console:order-detail", args=[order.number]),
        {"fragment": "body"},
        HTTP_HX_REQUEST="true",
    ).content.decode()
    assert "<html" not in fragment and 'id="order-body"' not in fragment
    assert 'id="timeline"' in fragment and "Lines cancelled" in fragment


def test_an_order_of_50_lines_costs_the_same_queries_as_one_of_2(
    client, agent, django_assert_max_num_queries
):
    skus = stocked_skus(50)
    small, large = place(skus[:2]), place(skus)
    for order in (small, large):
        ship(order.shipments.get(), f"T-{order.number}")
        OrderAdjustment.objects.create(
            order=order,
            line=order.lines.first(),
            kind="price_adjustment",
            amount=Decimal("1.00"),
            reason_code="other",
            note="n",
            **STAFF.as_fields(),
        )
    with django_assert_max_num_queries(30) as baseline:
        page(client, small)
    with django_assert_max_num_queries(len(baseline.captured_queries)):
        html = page(client, large)
    assert html.count('id="line-') == 50


def test_an_unknown_order_is_not_found(client, agent):
    assert client.get(reverse("console:order-detail", args=["999999"])).status_code == 404


def test_shipments_late_against_a_past_promise_without_an_estimate(db):
    order = place(stocked_skus(1), promised_delivery_date=date(2026, 1, 5))
    shipment = order.shipments.get()
    Shipment.objects.filter(pk=shipment.pk).update(promised_delivery_date=date(2026, 1, 5))
    view = get_console_order(order.number, today=date(2026, 1, 8))
    assert (view.shipments[0].is_late, view.shipments[0].days_late) == (True, 3)
    assert not get_console_order(order.number, today=date(2026, 1, 5)).shipments[0].is_late


def test_money_is_written_in_the_currency_and_the_readers_language():
    from django.utils import translation

    from support.templatetags.console import format_money

    assert format_money(Decimal("1234.5"), "USD") == "$1,234.50"
    assert format_money(Decimal("3095"), "JPY") == "¥3,095"
    assert format_money(Decimal("-2.5"), "KWD") == "\u22122.500\u00a0KWD"
    with translation.override("pt-br"):
        assert format_money(Decimal("1234.5"), "BRL") == "R$\u00a01.234,50"
        assert format_money(Decimal("10"), "USD") == "US$\u00a010,00"
