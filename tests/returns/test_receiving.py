"""Receiving and inspecting returns at the warehouse: per line quantity and condition, partial
receipts that add up to at most what was requested, units counted back on the order, refunds
released where the policy says, restocked units back in the receiving warehouse's stock."""

from decimal import Decimal

import pytest

from oms.exceptions import InvalidTransition, ValidationFailed
from orders.models import Stock, StockMovement
from returns import selectors
from returns.models import ReturnEvent, ReturnStatus
from returns.services import receiving
from tests.factories import WarehouseFactory
from tests.returns.lifecycle_builders import (
    ACTOR,
    assert_step,
    delivered_order,
    notified,
    request,
    return_marks,
    store_policy,
    wanted,
)

S = ReturnStatus
D = Decimal


@pytest.fixture(autouse=True)
def policy(db):
    return store_policy()


def approved(quantity=2, **policy_overrides):
    if policy_overrides:
        store_policy(**policy_overrides)
    order = delivered_order()
    return request(order, wanted(order, "TEE-M", quantity))


def receive(r, quantity, condition="as_new", **kwargs):
    line = r.lines.get()
    return receiving.receive_return(
        return_request=r, lines=[(line.pk, quantity, condition)], actor=ACTOR, **kwargs
    )


def inspect(r, disposition="restock"):
    line = r.lines.get()
    return receiving.inspect_return(return_request=r, lines=[(line.pk, disposition)], actor=ACTOR)


def on_hand(sku, warehouse_code):
    return Stock.objects.get(variant__sku=sku, warehouse__code=warehouse_code).on_hand


def test_receiving_every_unit_records_them_and_refunds_on_receipt():
    r = approved()

    r = receive(r, 2)

    assert r.status == S.REFUNDED  # the policy refunds on receipt; every unit is in
    assert r.received_at is not None
    line = r.lines.get()
    assert (line.quantity_received, line.condition) == (2, "as_new")
    assert r.order.lines.get(sku="TEE-M").quantity_returned == 2
    assert r.refunded_amount == D("40.00")
    assert_step(r, ReturnEvent.Type.RECEIVED, "return.received")
    assert_step(r, ReturnEvent.Type.REFUNDED, "return.refunded")
    assert r.events.get(type="received").data["is_complete"] is True


def test_receipts_may_come_in_parts_and_add_up():
    r = approved()

    r = receive(r, 1, "opened")
    assert r.status == S.RECEIVED
    assert r.refunded_amount == D("20.00")  # what arrived so far
    first_received_at = r.received_at
    r = receive(r, 1)

    assert r.lines.get().quantity_received == 2
    assert r.received_at == first_received_at
    assert r.order.lines.get(sku="TEE-M").quantity_returned == 2
    assert r.refunded_amount == D("40.00")
    assert notified(r).count("return.received") == 2


def test_receiving_more_than_was_requested_is_refused_without_side_effects():
    r = receive(approved(), 1)
    marks = return_marks()

    with pytest.raises(ValidationFailed) as refused:
        receive(r, 2)

    assert refused.value.code == "invalid_receipt"
    assert [(e["field"], e["code"]) for e in refused.value.errors] == [
        ("lines[0].quantity", "quantity_not_receivable")
    ]
    assert return_marks() == marks


def test_a_receipt_with_an_unknown_line_or_condition_is_refused_without_side_effects():
    r = approved()
    line = r.lines.get()
    marks = return_marks()

    with pytest.raises(ValidationFailed) as refused:
        receiving.receive_return(
            return_request=r,
            lines=[(line.pk, 1, "shiny"), (999999, 1, "as_new"), (line.pk, 1, "as_new")],
            actor=ACTOR,
        )

    codes = {(e["field"], e["code"]) for e in refused.value.errors}
    assert ("lines[0].condition", "invalid_choice") in codes
    assert ("lines[1].return_line_id", "unknown_line") in codes
    assert ("lines[2].return_line_id", "duplicate_line") in codes
    assert return_marks() == marks


def test_a_return_waiting_for_review_cannot_be_received():
    order = delivered_order()
    r = request(order, wanted(order, "TEE-M", 1, "other"))
    marks = return_marks()

    with pytest.raises(InvalidTransition) as refused:
        receive(r, 1)

    assert refused.value.code == "return_not_receivable"
    assert return_marks() == marks


def test_a_parcel_handed_in_at_the_warehouse_is_received_without_a_scan():
    r = approved(refund_release="first_scan")

    r = receive(r, 2)

    assert r.shipped_at is None
    assert r.refunded_amount == D("40.00")  # no scan ever came: released on receipt


def test_a_warehouse_scans_the_rma_in_any_case_to_receive():
    r = approved()

    found = selectors.get_return_by_code(r.rma.lower())
    found = receive(found, 2)

    assert found.pk == r.pk and found.lines.get().quantity_received == 2


def test_restocked_units_go_back_to_the_receiving_warehouse():
    r = receive(approved(refund_release="inspection"), 2)
    east_before = on_hand("TEE-M", "EAST")
    assert r.refunded_amount == 0  # the policy waits for the inspection

    r = inspect(r, "restock")

    assert r.status == S.REFUNDED
    assert r.inspected_at is not None
    assert r.refunded_amount == D("40.00")
    line = r.lines.get()
    assert (line.disposition, line.quantity_restocked) == ("restock", 2)
    assert on_hand("TEE-M", "EAST") == east_before + 2
    movement = StockMovement.objects.filter(stock__warehouse__code="EAST").latest("id")
    assert movement.on_hand_delta == 2 and r.rma in movement.reason
    assert_step(r, ReturnEvent.Type.INSPECTED, "return.inspected")


def test_a_parcel_received_at_another_warehouse_is_restocked_there():
    WarehouseFactory(code="WEST", region="CA", priority=20)
    r = receive(approved(refund_release="inspection"), 2, warehouse_code="west")
    east_before = on_hand("TEE-M", "EAST")

    inspect(r, "restock")

    r.refresh_from_db()
    assert r.warehouse.code == "WEST"
    assert on_hand("TEE-M", "WEST") == 2
    assert on_hand("TEE-M", "EAST") == east_before


@pytest.mark.parametrize("disposition", ["damaged", "scrap"])
def test_damaged_or_scrapped_units_do_not_go_back_to_stock(disposition):
    r = receive(approved(refund_release="inspection"), 2, "damaged")
    before = on_hand("TEE-M", "EAST")

    r = inspect(r, disposition)

    assert r.lines.get().quantity_restocked == 0
    assert on_hand("TEE-M", "EAST") == before
    assert r.status == S.REFUNDED


def test_a_return_refunded_on_receipt_is_still_inspected_and_restocked():
    r = receive(approved(), 2)
    assert r.status == S.REFUNDED
    before = on_hand("TEE-M", "EAST")

    r = inspect(r, "restock")

    assert r.status == S.REFUNDED
    assert r.inspected_at is not None
    assert on_hand("TEE-M", "EAST") == before + 2


def test_inspecting_twice_restocks_once():
    r = inspect(receive(approved(refund_release="inspection"), 2))
    marks = return_marks()

    inspect(r)

    assert return_marks() == marks


def test_every_received_line_needs_a_disposition():
    store_policy(refund_release="inspection")
    order = delivered_order()
    r = request(order, wanted(order, "TEE-M", 1), wanted(order, "CAP", 1))
    tee, cap = r.lines.order_by("id")
    receiving.receive_return(
        return_request=r, lines=[(tee.pk, 1, "as_new"), (cap.pk, 1, "as_new")], actor=ACTOR
    )
    marks = return_marks()

    with pytest.raises(ValidationFailed) as refused:
        receiving.inspect_return(return_request=r, lines=[(tee.pk, "restock")], actor=ACTOR)

    assert ("lines", "disposition_missing") in {
        (e["field"], e["code"]) for e in refused.value.errors
    }
    assert return_marks() == marks


def test_a_return_not_yet_received_cannot_be_inspected():
    r = approved()
    marks = return_marks()

    with pytest.raises(InvalidTransition) as refused:
        inspect(r)

    assert refused.value.code == "return_not_inspectable"
    assert return_marks() == marks
