"""Every measure, with every cut, reads in a bounded number of queries: the same with one copy
of the data set as with three."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from insights.measures import MEASURES
from tests.insights.dataset import MARCH, build

pytestmark = pytest.mark.django_db

MAX_QUERIES = 6
CASES = [(code, cut) for code, measure in MEASURES.items() for cut in (None, *measure.cuts)]


def query_counts() -> dict:
    counts = {}
    for code, cut in CASES:
        with CaptureQueriesContext(connection) as captured:
            MEASURES[code].compute(MARCH, cut=cut)
        counts[code, cut] = len(captured)
    return counts


def test_measures_read_in_a_bounded_number_of_queries_whatever_the_data_size(
    django_assert_max_num_queries,
):
    build()
    small = query_counts()
    build(1)
    build(2)
    for code, cut in CASES:
        with django_assert_max_num_queries(MAX_QUERIES):
            MEASURES[code].compute(MARCH, cut=cut)
    assert query_counts() == small


def test_three_copies_of_the_data_set_triple_the_counts_and_keep_the_rates():
    build()
    one = {code: MEASURES[code].compute(MARCH)[0] for code in MEASURES}
    build(1)
    build(2)
    three = {code: MEASURES[code].compute(MARCH)[0] for code in MEASURES}
    for code in MEASURES:
        assert three[code].numerator == 3 * one[code].numerator, code
        assert three[code].denominator == 3 * one[code].denominator, code
        assert three[code].value == one[code].value, code


def test_orders_behind_is_one_query_whatever_the_data_size(django_assert_num_queries):
    build()
    build(1)
    for measure in MEASURES.values():
        cut = "warehouse" if "warehouse" in measure.cuts else None
        with django_assert_num_queries(1):
            list(measure.orders_behind(MARCH, cut, "EAST"))
