"""First-contact resolution and satisfaction on the hand-built data set: of the 5 cases opened
and resolved in March, C1, C4 and C6 were resolved on the first contact; 4 surveys answered
(5, 2, 4, 3)."""

import pytest

from insights.measures import get_measure
from tests.insights.dataset import MARCH, build
from tests.insights.helpers import d, numbers, table

pytestmark = pytest.mark.django_db


@pytest.fixture
def data():
    return build()


def test_fcr_rate_counts_settled_cases_opened_in_the_period(data):
    # C2 had a second contact, C3 a repeat case about the same order; C5 is still open; C7
    # was opened in February.
    assert table("fcr_rate", MARCH) == {"all": (d(3), d(5), d("60.00"))}


def test_fcr_rate_by_warehouse_and_reason(data):
    assert table("fcr_rate", MARCH, "warehouse") == {
        "EAST": (d(1), d(2), d("50.00")),
        "WEST": (d(1), d(2), d("50.00")),
        "none": (d(1), d(1), d("100.00")),
    }
    assert table("fcr_rate", MARCH, "reason") == {
        "wismo": (d(1), d(2), d("50.00")),
        "delay": (d(0), d(1), d("0.00")),
        "damaged": (d(1), d(1), d("100.00")),
        "product_question": (d(1), d(1), d("100.00")),
    }


def test_orders_behind_fcr_are_those_of_cases_not_resolved_on_the_first_contact(data):
    assert numbers(get_measure("fcr_rate").orders_behind(MARCH)) == ["O2", "O3"]


def test_csat_is_the_average_answered_score(data):
    assert table("csat", MARCH) == {"all": (d(14), d(4), d("3.50"))}
    assert table("csat", MARCH, "reason") == {
        "wismo": (d(9), d(2), d("4.50")),
        "delay": (d(2), d(1), d("2.00")),
        "damaged": (d(3), d(1), d("3.00")),
    }
    assert table("csat", MARCH, "carrier") == {
        "ups": (d(7), d(2), d("3.50")),
        "fedex": (d(7), d(2), d("3.50")),
    }


def test_csat_satisfied_is_the_share_scored_4_or_5(data):
    assert table("csat_satisfied", MARCH) == {"all": (d(2), d(4), d("50.00"))}
    assert table("csat_satisfied", MARCH, "reason") == {
        "wismo": (d(2), d(2), d("100.00")),
        "delay": (d(0), d(1), d("0.00")),
        "damaged": (d(0), d(1), d("0.00")),
    }
    assert table("csat_satisfied", MARCH, "product") == {
        "tee": (d(1), d(2), d("50.00")),  # C1 (5), C2 (2)
        "mug": (d(1), d(3), d("33.33")),  # C2 (2), C3 (4), C4 (3)
    }


def test_orders_behind_csat_are_those_scored_1_to_3(data):
    assert numbers(get_measure("csat").orders_behind(MARCH)) == ["O2", "O3"]
