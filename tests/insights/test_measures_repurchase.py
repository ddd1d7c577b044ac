"""Repurchase within 90 days on the hand-built data set. Customers with a purchase delivered
in March, and their first one: ana O0 (delivered Mar 2; bought O1 after it), bob O2 (only a
replacement after it: not a purchase), cai O3 (bought O8 after it). dee's O4 is not fully
delivered; O7 is a replacement."""

import pytest

from insights.measures import get_measure
from tests.insights.dataset import MARCH, build
from tests.insights.helpers import d, numbers, table

pytestmark = pytest.mark.django_db


@pytest.fixture
def data():
    return build()


def test_repurchase_counts_each_customer_once_by_their_first_delivered_purchase(data):
    assert table("repurchase_90d", MARCH) == {"all": (d(2), d(3), d("66.67"))}


def test_repurchase_by_experience(data):
    # O0: on time, no contact, no return. O2: delayed, contacted, exchanged (R2).
    # O3: delayed, contacted, refunded in store credit (R3).
    assert table("repurchase_90d", MARCH, "experience") == {
        "on_time": (d(1), d(1), d("100.00")),
        "delayed": (d(1), d(2), d("50.00")),
        "contacted": (d(1), d(2), d("50.00")),
        "not_contacted": (d(1), d(1), d("100.00")),
        "exchanged": (d(0), d(1), d("0.00")),
        "refunded": (d(1), d(1), d("100.00")),
    }
    rows = get_measure("repurchase_90d").compute(MARCH, cut="experience")
    assert [row.key for row in rows][:2] == ["on_time", "delayed"]


def test_repurchase_by_warehouse_and_with_an_experience_filter(data):
    assert table("repurchase_90d", MARCH, "warehouse") == {
        "EAST": (d(1), d(2), d("50.00")),  # O0, O2
        "WEST": (d(1), d(1), d("100.00")),  # O3
    }
    assert table("repurchase_90d", MARCH, "warehouse", experience="delayed") == {
        "EAST": (d(0), d(1), d("0.00")),
        "WEST": (d(1), d(1), d("100.00")),
    }


def test_orders_behind_repurchase_are_those_not_followed_by_another_purchase(data):
    assert numbers(get_measure("repurchase_90d").orders_behind(MARCH)) == ["O2"]
