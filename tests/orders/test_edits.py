"""Order edits before shipment: the preview's totals are what is applied, stock follows the
units (released, allocated, never oversold), the card authorization grows first when the total
does, and every refusal changes nothing."""

import threading
from decimal import Decimal

import pytest
from django.db import connection
from django.db.models import Sum

from notifications.models import OutboxMessage
from oms.actors import Actor
from oms.exceptions import (
    Conflict,
    InsufficientStock,
    InvalidTransition,
    PaymentFailed,
    ValidationFailed,
)
from orders import pricing
from orders.models import (
    Allocation,
    Order,
    OrderEvent,
    OrderLine,
    Payment,
    PaymentTransaction,
    SandboxCharge,
    Shipment,
    ShipmentLine,
    Stock,
    StockMovement,
)
from orders.services import advance_shipment, place_order
from orders.services.edits import OrderEdit, apply_order_edit, preview_order_edit
from orders.services.placement import CustomerInput, LineInput, OrderInput, PaymentInput
from tests.factories import ADDRESS, StockFactory, VariantFactory, WarehouseFactory
from tests.orders.builders import order_in_status

pytestmark = pytest.mark.django_db

REP = Actor(kind="staff", label="rep")
GOOD_CARD = "4242424242424242"
BLOCKED_LATER_CARD = "4000000000000341"  # authorizes, declines every increase


@pytest.fixture
def catalog(db):
    """TEE-M: 5 at EAST + 5 at WEST; TEE-L: 6 at EAST; MUG: 2 at WEST only."""
    east = WarehouseFactory(code="EAST", region="NY", priority=10)
    west = WarehouseFactory(code="WEST", region="CA", priority=20)
    tee_m = VariantFactory(sku="TEE-M", price=Decimal("20.00"))
    tee_l = VariantFactory(sku="TEE-L", price=Decimal("22.00"))
    mug = VariantFactory(sku="MUG", price=Decimal("9.50"))
    StockFactory(variant=tee_m, warehouse=east, on_hand=5)
    StockFactory(variant=tee_m, warehouse=west, on_hand=5)
    StockFactory(variant=tee_l, warehouse=east, on_hand=6)
    StockFactory(variant=mug, warehouse=west, on_hand=2)
    return {"east": east, "west": west}


def place(lines, *, token=GOOD_CARD, discounts=None, await_payment=False) -> Order:
    discounts = discounts or {}
    data = OrderInput(
        channel="web",
        customer=CustomerInput(email="ana@example.com", name="Ana Souza"),
        shipping_address=ADDRESS,
        lines=[
            LineInput(sku=sku, quantity=q, discount=Decimal(discounts.get(sku, 0)))
            for sku, q in lines
        ],
        shipping_price=Decimal("5.00"),
        payment=PaymentInput(token=token),
    )
    return place_order(data=data, actor=REP, await_payment=await_payment)


def give_order_discount(order: Order, amount: str) -> Order:
    """What a CSR price adjustment on the whole order leaves: order_discount and its totals."""
    order.order_discount = Decimal(amount)
    totals = pricing.order_totals(order, order.lines.all())
    order.subtotal, order.discount_total = totals.subtotal, totals.discount_total
    order.shipping_total, order.total = totals.shipping_total, totals.total
    order.save()
    return order


def line(order: Order, sku: str) -> OrderLine:
    return order.lines.filter(sku=sku).order_by("-line_number").first()


def stock(sku: str, warehouse: str) -> Stock:
    return Stock.objects.get(variant__sku=sku, warehouse__code=warehouse)


def snapshot(order: Order) -> dict:
    """Everything an edit could touch, to prove a refusal touched none of it."""
    order.refresh_from_db()
    return {
        "order": (order.status, order.total, order.shipping_method, order.shipping_address),
        "lines": list(order.lines.values_list("sku", "quantity", "quantity_cancelled")),
        "allocations": list(Allocation.objects.values_list("line_id", "warehouse_id", "quantity")),
        "stock": list(Stock.objects.order_by("pk").values_list("allocated", "on_hand")),
        "movements": StockMovement.objects.count(),
        "events": OrderEvent.objects.filter(order=order).count(),
        "outbox": OutboxMessage.objects.count(),
        "shipments": list(Shipment.objects.order_by("pk").values_list("number", "status")),
        "shipment_lines": list(ShipmentLine.objects.values_list("line_id", "quantity")),
        "authorized": list(Payment.objects.values_list("amount_authorized", flat=True)),
    }


def assert_consistent(order: Order) -> None:
    """Stored totals are pricing's; allocations, parcels and stock agree with the lines."""
    order.refresh_from_db()
    lines = list(order.lines.all())
    totals = pricing.order_totals(order, lines)
    assert (order.subtotal, order.discount_total, order.shipping_total, order.total) == (
        totals.subtotal,
        totals.discount_total,
        totals.shipping_total,
        totals.total,
    )
    for order_line in lines:
        allocated = Allocation.objects.filter(line=order_line).aggregate(s=Sum("quantity"))["s"]
        assert (allocated or 0) == order_line.quantity_unshipped, order_line
        if order.status != Order.Status.PENDING_PAYMENT:
            waiting = ShipmentLine.objects.filter(
                line=order_line, shipment__status__in=["pending", "picking"]
            ).aggregate(s=Sum("quantity"))["s"]
            assert (waiting or 0) == order_line.quantity_unshipped, order_line
    assert not Shipment.objects.filter(order=order, status="pending", lines__isnull=True).exists()
    for row in Stock.objects.all():
        live = Allocation.objects.filter(stock=row).aggregate(s=Sum("quantity"))["s"] or 0
        assert 0 <= row.allocated <= row.on_hand and row.allocated == live, row


EDITS = {
    "quantity down": lambda o: OrderEdit(quantities={line(o, "TEE-M").pk: 1}),
    "quantity up": lambda o: OrderEdit(quantities={line(o, "TEE-M").pk: 4}),
    "add a line": lambda o: OrderEdit(additions=[("MUG", 2)]),
    "swap a line": lambda o: OrderEdit(swaps=[(line(o, "TEE-M").pk, "TEE-L")]),
    "swap with fewer units": lambda o: OrderEdit(
        swaps=[(line(o, "TEE-M").pk, "TEE-L")], quantities={line(o, "TEE-M").pk: 1}
    ),
    "shipping method": lambda o: OrderEdit(shipping_method="express"),
    "everything at once": lambda o: OrderEdit(
        address={**ADDRESS, "line1": "Rua Oscar Freire 9"},
        quantities={line(o, "TEE-L").pk: 0},
        additions=[("MUG", 1)],
        swaps=[(line(o, "TEE-M").pk, "TEE-L")],
        shipping_method="next_day",
    ),
}


@pytest.mark.parametrize("kind", EDITS)
def test_preview_totals_equal_applied_totals_with_line_and_order_discounts(
    catalog, kind, django_capture_on_commit_callbacks
):
    order = place([("TEE-M", 3), ("TEE-L", 1)], discounts={"TEE-M": "6.00"})
    order = give_order_discount(order, "4.00")
    edit = EDITS[kind](order)
    before = snapshot(order)

    preview = preview_order_edit(order=order, edit=edit)
    assert snapshot(order) == before  # a preview writes nothing
    with django_capture_on_commit_callbacks(execute=True):
        applied = apply_order_edit(
            order=order, edit=edit, actor=REP, reason="customer called", expected_total=None
        )

    applied.refresh_from_db()
    assert preview.new == pricing.order_totals(applied, applied.lines.all())
    assert applied.total == preview.new.total
    assert preview.current.total == before["order"][1]
    assert preview.difference == preview.new.total - preview.current.total
    assert_consistent(applied)
    modified = OrderEvent.objects.filter(order=order, type=OrderEvent.Type.MODIFIED)
    assert modified.count() == 1
    event = modified.get()
    assert (event.actor_label, event.reason) == ("rep", "customer called")
    assert Decimal(event.data["totals"]["new"]) == preview.new.total
    assert OutboxMessage.objects.filter(event_type="order.updated").count() >= 1


def test_swap_keeps_the_discount_share_of_the_swapped_units(catalog):
    order = place([("TEE-M", 3)], discounts={"TEE-M": "6.00"})
    tee = line(order, "TEE-M")

    preview = preview_order_edit(
        order=order, edit=OrderEdit(swaps=[(tee.pk, "TEE-L")], quantities={tee.pk: 2})
    )

    swapped_in = next(change for change in preview.lines if change.kind == "swapped_in")
    assert (swapped_in.sku, swapped_in.quantity_after, swapped_in.replaces_sku) == (
        "TEE-L",
        2,
        "TEE-M",
    )
    assert swapped_in.amount_after == Decimal("44.00") - Decimal("4.00")  # 2 of 3 units' share


@pytest.mark.parametrize(
    "status", [Order.Status.PARTIALLY_SHIPPED, Order.Status.SHIPPED, Order.Status.DELIVERED]
)
def test_modification_after_shipment_is_refused_without_side_effects(catalog, status):
    order = order_in_status(status, "TEE-M")
    before = snapshot(order)

    with pytest.raises(InvalidTransition) as refused:
        apply_order_edit(
            order=order, edit=OrderEdit(shipping_method="express"), actor=REP, reason="x"
        )

    assert refused.value.code == "order_already_shipped"
    assert snapshot(order) == before


def test_a_packed_parcel_refuses_the_edit_without_side_effects(catalog):
    order = place([("TEE-M", 7)])
    first = order.shipments.order_by("pk").first()
    advance_shipment(shipment=first, status="packed", actor=REP)
    before = snapshot(order)

    with pytest.raises(InvalidTransition) as refused:
        preview_order_edit(order=order, edit=OrderEdit(additions=[("MUG", 1)]))
    with pytest.raises(InvalidTransition):
        apply_order_edit(order=order, edit=OrderEdit(additions=[("MUG", 1)]), actor=REP, reason="x")

    assert refused.value.code == "order_already_packed"
    assert snapshot(order) == before


def test_a_cancelled_order_cannot_be_modified(catalog):
    order = order_in_status(Order.Status.CANCELLED, "TEE-M")
    with pytest.raises(InvalidTransition) as refused:
        preview_order_edit(order=order, edit=OrderEdit(shipping_method="express"))
    assert refused.value.code == "order_cancelled"


def test_a_parcel_being_picked_may_still_change(catalog):
    order = place([("TEE-M", 2)])
    advance_shipment(shipment=order.shipments.get(), status="picking", actor=REP)

    applied = apply_order_edit(
        order=order, edit=OrderEdit(quantities={line(order, "TEE-M").pk: 1}), actor=REP, reason="x"
    )

    assert applied.lines.get().quantity_active == 1
    assert_consistent(applied)


def test_quantity_down_gives_units_back_and_cancels_an_emptied_parcel(catalog):
    order = place([("TEE-M", 7)])  # 5 from EAST, 2 from WEST: two parcels
    east_parcel, west_parcel = order.shipments.order_by("pk")

    preview = preview_order_edit(
        order=order, edit=OrderEdit(quantities={line(order, "TEE-M").pk: 5})
    )
    applied = apply_order_edit(
        order=order,
        edit=OrderEdit(quantities={line(order, "TEE-M").pk: 5}),
        actor=REP,
        reason="customer wants fewer",
    )

    assert preview.difference_kind == "lower_amount_due"
    assert preview.difference == Decimal("-40.00")
    assert stock("TEE-M", "WEST").allocated == 0  # the least preferred warehouse gives back
    assert stock("TEE-M", "EAST").allocated == 5
    west_parcel.refresh_from_db()
    east_parcel.refresh_from_db()
    assert (east_parcel.status, west_parcel.status) == ("pending", "cancelled")
    tee = line(applied, "TEE-M")
    assert (tee.quantity, tee.quantity_cancelled) == (7, 2)
    assert StockMovement.objects.filter(kind="release", order=order).exists()
    assert_consistent(applied)


def test_more_units_come_from_the_warehouse_the_order_ships_from(catalog):
    order = place([("TEE-M", 2)])
    parcel = order.shipments.get()

    applied = apply_order_edit(
        order=order, edit=OrderEdit(quantities={line(order, "TEE-M").pk: 4}), actor=REP, reason="x"
    )

    assert applied.shipments.count() == 1
    assert ShipmentLine.objects.get(shipment=parcel).quantity == 4
    assert stock("TEE-M", "EAST").allocated == 4
    assert line(applied, "TEE-M").quantity == 4
    assert_consistent(applied)


def test_a_line_only_another_warehouse_has_gets_a_new_pending_parcel(
    catalog, django_capture_on_commit_callbacks
):
    order = place([("TEE-L", 1)])  # EAST

    with django_capture_on_commit_callbacks(execute=True):
        applied = apply_order_edit(
            order=order, edit=OrderEdit(additions=[("MUG", 2)]), actor=REP, reason="add a mug"
        )

    parcels = list(applied.shipments.order_by("pk"))
    assert [(p.warehouse.code, p.status) for p in parcels] == [
        ("EAST", "pending"),
        ("WEST", "pending"),
    ]
    assert parcels[1].number == f"{order.number}-2"
    assert parcels[1].promised_delivery_date == applied.promised_delivery_date
    assert stock("MUG", "WEST").allocated == 2
    assert OrderEvent.objects.filter(order=order, type="shipment_created").count() == 2
    assert_consistent(applied)


def test_a_swap_reuses_the_parcel_it_empties(catalog):
    order = place([("TEE-M", 2)])
    parcel = order.shipments.get()

    applied = apply_order_edit(
        order=order,
        edit=OrderEdit(swaps=[(line(order, "TEE-M").pk, "TEE-L")]),
        actor=REP,
        reason="size L",
    )

    parcel.refresh_from_db()
    assert parcel.status == "pending"
    assert applied.shipments.count() == 1
    assert [(sl.line.sku, sl.quantity) for sl in parcel.lines.select_related("line")] == [
        ("TEE-L", 2)
    ]
    assert (stock("TEE-M", "EAST").allocated, stock("TEE-L", "EAST").allocated) == (0, 2)
    assert_consistent(applied)


def test_an_edit_never_oversells_and_counts_the_units_it_gives_back(catalog):
    order = place([("MUG", 2)])  # every MUG there is
    before = snapshot(order)

    with pytest.raises(InsufficientStock) as refused:
        apply_order_edit(
            order=order, edit=OrderEdit(additions=[("TEE-L", 7)]), actor=REP, reason="x"
        )
    assert refused.value.extra["skus"] == ["TEE-L"]
    assert snapshot(order) == before

    # Its own two mugs count: two more than it has is short, the same two back is not.
    other = place([("TEE-M", 1)])
    with pytest.raises(InsufficientStock):
        preview_order_edit(order=other, edit=OrderEdit(additions=[("MUG", 1)]))
    applied = apply_order_edit(
        order=order,
        edit=OrderEdit(swaps=[(line(order, "MUG").pk, "TEE-L")], additions=[("MUG", 2)]),
        actor=REP,
        reason="x",
    )
    assert stock("MUG", "WEST").allocated == 2
    assert_consistent(applied)


def test_changing_the_shipping_method_reprices_and_moves_the_promise(catalog):
    order = place([("TEE-M", 1)])
    parcel = order.shipments.get()

    preview = preview_order_edit(order=order, edit=OrderEdit(shipping_method="next_day"))
    applied = apply_order_edit(
        order=order, edit=OrderEdit(shipping_method="next_day"), actor=REP, reason="rush"
    )

    assert preview.new.shipping_total == Decimal("24.90")  # orders.shipping's USD rate
    assert applied.shipping_price == Decimal("24.90") and applied.shipping_method == "next_day"
    assert applied.promised_delivery_date <= order.promised_delivery_date
    parcel.refresh_from_db()
    assert parcel.promised_delivery_date == applied.promised_delivery_date
    data = applied.events.get(type=OrderEvent.Type.MODIFIED).data
    assert data["shipping_method"]["old"] == "standard"
    assert data["difference_kind"] == "charge"


def test_changing_the_address(catalog):
    order = place([("TEE-M", 1)])
    new_address = {**ADDRESS, "line1": "Avenida Paulista 1000", "postal_code": "01310-100"}

    applied = apply_order_edit(
        order=order, edit=OrderEdit(address=new_address), actor=REP, reason="moved"
    )

    assert applied.shipping_address["line1"] == "Avenida Paulista 1000"
    assert applied.total == order.total
    data = applied.events.get(type=OrderEvent.Type.MODIFIED).data
    assert data["address"]["new"]["postal_code"] == "01310-100"
    assert data["difference_kind"] == "none"
    assert applied.customer.addresses.filter(line1="Avenida Paulista 1000").exists()


@pytest.mark.parametrize(
    ("make_edit", "fields"),
    [
        (lambda o: OrderEdit(additions=[("NOPE", 1)]), {"additions.0.sku"}),
        (lambda o: OrderEdit(quantities={line(o, "TEE-M").pk: -1}), {"quantities.*"}),
        (lambda o: OrderEdit(quantities={999999: 1}), {"quantities.999999"}),
        (lambda o: OrderEdit(additions=[("MUG", 0)]), {"additions.0.quantity"}),
        (lambda o: OrderEdit(swaps=[(line(o, "TEE-M").pk, "TEE-M")]), {"swaps.0.sku"}),
        (
            lambda o: OrderEdit(address={"name": "Ana"}),
            {"address.line1", "address.city", "address.postal_code", "address.country"},
        ),
        (lambda o: OrderEdit(shipping_method="teleport"), {"shipping_method"}),
        (lambda o: OrderEdit(quantities={line(o, "TEE-M").pk: 2}), {"__all__"}),
        (lambda o: OrderEdit(shipping_method="standard", address=ADDRESS), {"__all__"}),
        (lambda o: OrderEdit(quantities={line(o, "TEE-M").pk: 0}), {"__all__"}),
    ],
    ids=[
        "unknown sku",
        "negative quantity",
        "unknown line",
        "zero added",
        "swap to same sku",
        "address fields missing",
        "unknown method",
        "same quantity",
        "nothing changed",
        "removes everything",
    ],
)
def test_bad_edits_are_refused_with_field_errors_and_change_nothing(catalog, make_edit, fields):
    order = place([("TEE-M", 2)])
    line_id = line(order, "TEE-M").pk
    before = snapshot(order)

    with pytest.raises(ValidationFailed) as refused:
        apply_order_edit(order=order, edit=make_edit(order), actor=REP, reason="x")

    found = {e["field"] for e in refused.value.errors}
    assert found == {f.replace("*", str(line_id)) for f in fields}
    assert all(e["message"] for e in refused.value.errors)
    assert snapshot(order) == before


def test_a_reason_is_required(catalog):
    order = place([("TEE-M", 2)])
    with pytest.raises(ValidationFailed) as refused:
        apply_order_edit(
            order=order, edit=OrderEdit(shipping_method="express"), actor=REP, reason=" "
        )
    assert refused.value.code == "reason_required"


def test_a_higher_total_raises_the_card_authorization_first(catalog):
    order = place([("TEE-M", 1)])
    payment = order.payments.get()
    assert payment.amount_authorized == Decimal("25.00")

    preview = preview_order_edit(order=order, edit=OrderEdit(additions=[("MUG", 2)]))
    applied = apply_order_edit(
        order=order, edit=OrderEdit(additions=[("MUG", 2)]), actor=REP, reason="add mugs"
    )

    assert preview.authorization_increase == Decimal("19.00")
    payment.refresh_from_db()
    assert payment.amount_authorized == applied.total == Decimal("44.00")
    increase = payment.transactions.get(kind="authorize", amount=Decimal("19.00"))
    assert increase.status == "succeeded" and increase.actor_label == "rep"
    assert SandboxCharge.objects.get(reference=payment.reference).authorized == Decimal("44.00")


def test_a_declined_increase_leaves_the_order_as_it_was(catalog):
    order = place([("TEE-M", 1)], token=BLOCKED_LATER_CARD)
    before = snapshot(order)

    with pytest.raises(PaymentFailed) as declined:
        apply_order_edit(
            order=order, edit=OrderEdit(additions=[("MUG", 2)]), actor=REP, reason="add mugs"
        )

    assert declined.value.code == "payment_declined"
    assert declined.value.extra["decline_code"] == "card_declined"
    assert snapshot(order) == before
    # The gateway's answer is in the payment ledger, as every gateway call is.
    failed = PaymentTransaction.objects.get(kind="authorize", status="failed")
    assert failed.amount == Decimal("19.00")


def test_a_decline_card_declines_the_increase_too(catalog):
    order = place([("TEE-M", 1)])
    charge = SandboxCharge.objects.get()
    charge.card_last4 = "0002"  # the card was since replaced by the bank's decline card
    charge.save()

    with pytest.raises(PaymentFailed):
        apply_order_edit(order=order, edit=OrderEdit(additions=[("MUG", 1)]), actor=REP, reason="x")

    assert not order.lines.filter(sku="MUG").exists()


def test_a_stale_preview_is_refused_with_order_changed(catalog):
    order = place([("TEE-M", 3)])
    preview = preview_order_edit(order=order, edit=OrderEdit(additions=[("MUG", 1)]))
    apply_order_edit(
        order=order, edit=OrderEdit(quantities={line(order, "TEE-M").pk: 2}), actor=REP, reason="x"
    )
    before = snapshot(order)

    with pytest.raises(Conflict) as refused:
        apply_order_edit(
            order=order,
            edit=OrderEdit(additions=[("MUG", 1)]),
            actor=REP,
            reason="x",
            expected_total=preview.new.total,
        )

    assert refused.value.code == "order_changed" and refused.value.status == 409
    assert snapshot(order) == before


def test_an_order_waiting_for_payment_changes_without_touching_a_card(catalog):
    order = place([("TEE-M", 1)], await_payment=True)
    assert order.status == Order.Status.PENDING_PAYMENT

    preview = preview_order_edit(order=order, edit=OrderEdit(additions=[("MUG", 1)]))
    applied = apply_order_edit(
        order=order, edit=OrderEdit(additions=[("MUG", 1)]), actor=REP, reason="x"
    )

    assert preview.authorization_increase == 0
    assert not Payment.objects.exists() and not applied.shipments.exists()
    assert applied.total == Decimal("34.50")
    assert_consistent(applied)


def test_a_lower_total_refunds_what_was_already_captured(
    catalog, django_capture_on_commit_callbacks
):
    """Capture happens at shipment, so an unshipped order normally has nothing captured; a
    gateway that captures at checkout (simulated here) gets the difference refunded."""
    order = place([("TEE-M", 3)])
    payment = order.payments.get()
    Payment.objects.filter(pk=payment.pk).update(
        amount_captured=order.total, status=Payment.Status.CAPTURED
    )
    SandboxCharge.objects.filter(reference=payment.reference).update(captured=order.total)

    preview = preview_order_edit(
        order=order, edit=OrderEdit(quantities={line(order, "TEE-M").pk: 1})
    )
    with django_capture_on_commit_callbacks(execute=True):
        apply_order_edit(
            order=order,
            edit=OrderEdit(quantities={line(order, "TEE-M").pk: 1}),
            actor=REP,
            reason="fewer",
        )

    assert (preview.difference_kind, preview.refund_amount) == ("refund", Decimal("40.00"))
    payment.refresh_from_db()
    assert payment.amount_refunded == Decimal("40.00")


def test_a_lower_total_before_capture_is_a_lower_amount_due(
    catalog, django_capture_on_commit_callbacks
):
    order = place([("TEE-M", 3)])
    with django_capture_on_commit_callbacks(execute=True):
        apply_order_edit(
            order=order,
            edit=OrderEdit(quantities={line(order, "TEE-M").pk: 1}),
            actor=REP,
            reason="x",
        )
    payment = order.payments.get()
    assert (payment.amount_captured, payment.amount_refunded) == (0, 0)
    assert not payment.transactions.filter(kind__in=["refund", "void"]).exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_edits_racing_for_the_last_unit_one_wins_the_other_gets_409(catalog):
    first = place([("TEE-M", 1)])
    second = place([("TEE-M", 1)])
    Stock.objects.filter(variant__sku="TEE-L").update(on_hand=1)
    barrier = threading.Barrier(2, timeout=30)
    results: list = [None, None]

    def edit(index: int, order: Order) -> None:
        try:
            barrier.wait()
            results[index] = apply_order_edit(
                order=order, edit=OrderEdit(additions=[("TEE-L", 1)]), actor=REP, reason="race"
            )
        except Exception as exc:  # noqa: BLE001 - the loser's error is the result
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=edit, args=(i, o)) for i, o in enumerate([first, second])]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    winners = [r for r in results if isinstance(r, Order)]
    losers = [r for r in results if isinstance(r, InsufficientStock)]
    assert (len(winners), len(losers)) == (1, 1), results
    assert losers[0].status == 409
    tee_l = stock("TEE-L", "EAST")
    assert (tee_l.on_hand, tee_l.allocated) == (1, 1)
    loser = second if winners[0].pk == first.pk else first
    assert not loser.lines.filter(sku="TEE-L").exists()
    assert not OrderEvent.objects.filter(order=loser, type=OrderEvent.Type.MODIFIED).exists()
    for order in (first, second):
        assert_consistent(order)
