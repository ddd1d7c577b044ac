"""Return rate and reasons on the hand-built data set: 3 units returned in March (R4 was
cancelled) against 10 units delivered (S0 1, S1 2, S2 2, S3 2, S4a 1, S7 1, S8 1)."""

import pytest

from insights.measures import get_measure
from tests.insights.dataset import MARCH, build
from tests.insights.helpers import d, numbers, table

pytestmark = pytest.mark.django_db


@pytest.fixture
def data():
    return build()


def test_return_rate_is_units_returned_per_100_units_delivered(data):
    assert table("return_rate", MARCH) == {"all": (d(3), d(10), d("30.00"))}


def test_return_rate_by_warehouse_follows_the_shipment_that_carried_the_line(data):
    # R1 (O1's tee, S1) and R2 (O2's mug, S2) from EAST, R3 (O3's mug, S3) from WEST.
    assert table("return_rate", MARCH, "warehouse") == {
        "EAST": (d(2), d(7), d("28.57")),
        "WEST": (d(1), d(3), d("33.33")),
    }
    assert table("return_rate", MARCH, "product") == {
        "tee": (d(1), d(6), d("16.67")),
        "mug": (d(2), d(4), d("50.00")),
    }
    assert table("return_rate", MARCH, "carrier") == {
        "ups": (d(2), d(7), d("28.57")),  # S0 1, S1 2, S2 2, S4a 1, S7 1
        "fedex": (d(1), d(3), d("33.33")),  # S3 2, S8 1
    }


def test_return_rate_for_one_reason(data):
    assert table("return_rate", MARCH, "product", reason="damaged") == {
        "tee": (d(0), d(6), d("0.00")),
        "mug": (d(2), d(4), d("50.00")),
    }


def test_return_reasons_share_of_returned_units(data):
    assert table("return_reasons", MARCH, "reason") == {
        "size_too_small": (d(1), d(3), d("33.33")),
        "damaged": (d(2), d(3), d("66.67")),
    }
    assert table("return_reasons", MARCH, "reason", product="mug") == {
        "damaged": (d(2), d(2), d("100.00")),
    }
    assert table("return_reasons", MARCH, "warehouse", reason="damaged") == {
        "EAST": (d(1), d(2), d("50.00")),
        "WEST": (d(1), d(1), d("100.00")),
    }


def test_orders_behind_returns(data):
    assert numbers(get_measure("return_rate").orders_behind(MARCH)) == ["O1", "O2", "O3"]
    reasons = get_measure("return_reasons")
    assert numbers(reasons.orders_behind(MARCH, "reason", "damaged")) == ["O2", "O3"]
