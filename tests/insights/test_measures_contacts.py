"""Contact rates on the hand-built data set (tests/insights/dataset.py says where each number
comes from): 8 contacts in March, 8 orders, 8 shipments in flight."""

import pytest

from insights.measures import get_measure
from tests.insights.dataset import MARCH, at, build
from tests.insights.helpers import d, numbers, table

pytestmark = pytest.mark.django_db


@pytest.fixture
def data():
    return build()


def test_contacts_per_100_orders_counts_cases_opened_and_further_contacts_in_the_period(data):
    assert table("contacts_per_100_orders", MARCH) == {"all": (d(8), d(8), d("100.00"))}


def test_contacts_per_100_orders_by_warehouse_follows_the_case_shipment_else_the_first(data):
    # EAST: C1, C2 twice; WEST: C3, C4, C5 (its own shipment S4b, not O4's first, S4a);
    # orders by first shipment: EAST 5, WEST 3; C6 and C7's contact have no order.
    assert table("contacts_per_100_orders", MARCH, "warehouse") == {
        "EAST": (d(3), d(5), d("60.00")),
        "WEST": (d(3), d(3), d("100.00")),
        "none": (d(2), d(0), None),
    }


def test_contacts_per_100_orders_by_carrier_region_and_channel(data):
    assert table("contacts_per_100_orders", MARCH, "carrier") == {
        "ups": (d(3), d(4), d("75.00")),  # orders O1 O2 O4 O7
        "fedex": (d(3), d(2), d("150.00")),  # O3 O8
        "none": (d(2), d(2), d("100.00")),  # not shipped: O5 O6
    }
    assert table("contacts_per_100_orders", MARCH, "region") == {
        "US-NY": (d(3), d(4), d("75.00")),  # C1 C3 C4 / O1 O3 O5 O6
        "US-CA": (d(2), d(2), d("100.00")),  # C2 twice / O2 O7
        "BR-SP": (d(1), d(2), d("50.00")),  # C5 / O4 O8
        "none": (d(2), d(0), None),
    }
    assert table("contacts_per_100_orders", MARCH, "channel") == {
        "web": (d(4), d(6), d("66.67")),
        "marketplace": (d(2), d(1), d("200.00")),
        "replacement": (d(0), d(1), d("0.00")),
        "none": (d(2), d(0), None),
    }


def test_contacts_per_100_orders_by_ship_date_and_product(data):
    assert table("contacts_per_100_orders", MARCH, "ship_date") == {
        "2026-03-02": (d(3), d(2), d("150.00")),  # S1 S2
        "2026-03-03": (d(2), d(2), d("100.00")),  # S3 S4a (orders O3 O4)
        "2026-03-04": (d(1), d(0), None),  # C5 on S4b; no order has it first
        "2026-03-11": (d(0), d(1), d("0.00")),
        "2026-03-16": (d(0), d(1), d("0.00")),
        "none": (d(2), d(2), d("100.00")),
    }
    # An order counts for each product on it: tee O1 O2 O4 O5 O6 O8, mug O2 O3 O4 O7.
    assert table("contacts_per_100_orders", MARCH, "product") == {
        "tee": (d(4), d(6), d("66.67")),  # C1, C2 twice, C5
        "mug": (d(5), d(4), d("125.00")),  # C2 twice, C3, C4, C5
        "none": (d(2), d(0), None),
    }


def test_contacts_per_100_orders_by_reason_and_filtered_by_reason(data):
    assert table("contacts_per_100_orders", MARCH, "reason") == {
        "wismo": (d(3), d(8), d("37.50")),
        "delay": (d(2), d(8), d("25.00")),
        "damaged": (d(1), d(8), d("12.50")),
        "billing_refund": (d(1), d(8), d("12.50")),
        "product_question": (d(1), d(8), d("12.50")),
    }
    assert table("contacts_per_100_orders", MARCH, "warehouse", reason="wismo") == {
        "EAST": (d(1), d(5), d("20.00")),
        "WEST": (d(2), d(3), d("66.67")),
    }


def test_a_cut_filter_narrows_both_sides(data):
    assert table("contacts_per_100_orders", MARCH, "carrier", warehouse="WEST") == {
        "fedex": (d(3), d(1), d("300.00")),
        "ups": (d(0), d(1), d("0.00")),
        "none": (d(0), d(1), d("0.00")),
    }
    assert table("contacts_per_100_orders", MARCH, product="mug") == {
        "all": (d(5), d(4), d("125.00"))
    }


def test_contacts_per_100_shipments_in_flight_leaves_out_contacts_without_a_shipment(data):
    assert table("contacts_per_100_shipments", MARCH) == {"all": (d(6), d(8), d("75.00"))}
    assert table("contacts_per_100_shipments", MARCH, "warehouse") == {
        "EAST": (d(3), d(5), d("60.00")),  # in flight: S0 S1 S2 S4a S8
        "WEST": (d(3), d(3), d("100.00")),  # S3 S4b S7
    }
    assert table("contacts_per_100_shipments", MARCH, "carrier") == {
        "ups": (d(3), d(5), d("60.00")),  # S0 S1 S2 S4a S7
        "fedex": (d(3), d(3), d("100.00")),  # S3 S4b S8
    }


def test_shipments_in_flight_are_those_with_the_carrier_at_some_moment_of_the_period(data):
    first_week = type(MARCH).for_days(MARCH.start.date(), MARCH.start.date().replace(day=3))
    # Mar 1-3: S0 (delivered Mar 2), S1 S2 (shipped Mar 2), S3 S4a (shipped Mar 3).
    assert table("contacts_per_100_shipments", first_week) == {
        "all": (d(1), d(5), d("20.00"))  # C1 (Mar 3); C7's contact (Mar 2) has no order
    }


def test_a_parcel_not_delivered_30_days_after_shipping_is_lost_not_in_flight(data):
    data.shipment("SL", "O0", data.east, [], carrier="ups", shipped=at(1, 29))  # lost by Feb 28
    data.shipment("SM", "O0", data.east, [], carrier="ups", shipped=at(1, 31))  # until Mar 2
    assert table("contacts_per_100_shipments", MARCH) == {"all": (d(6), d(9), d("66.67"))}


def test_wismo_share_is_the_where_is_my_order_contacts_over_all_contacts(data):
    assert table("wismo_share", MARCH) == {"all": (d(3), d(8), d("37.50"))}
    assert table("wismo_share", MARCH, "warehouse") == {
        "EAST": (d(1), d(3), d("33.33")),
        "WEST": (d(2), d(3), d("66.67")),
        "none": (d(0), d(2), d("0.00")),
    }


def test_orders_behind_the_contacts_are_the_contacted_orders(data):
    measure = get_measure("contacts_per_100_orders")
    assert numbers(measure.orders_behind(MARCH)) == ["O1", "O2", "O3", "O4"]
    assert numbers(measure.orders_behind(MARCH, "warehouse", "WEST")) == ["O3", "O4"]
    assert numbers(measure.orders_behind(MARCH, "carrier", "ups")) == ["O1", "O2"]
    assert numbers(measure.orders_behind(MARCH, "warehouse", "none")) == []
    wismo = get_measure("wismo_share")
    assert numbers(wismo.orders_behind(MARCH)) == ["O1", "O3", "O4"]


def test_rows_carry_labels(data):
    rows = get_measure("contacts_per_100_orders").compute(MARCH, cut="warehouse")
    assert [(row.key, row.label) for row in rows] == [
        ("EAST", "East DC"),
        ("WEST", "West DC"),
        ("none", "Not attributed"),
    ]
