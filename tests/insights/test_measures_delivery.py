"""On-time, delay and exception rates on the hand-built data set: 7 shipments delivered in
March with a promise (4 on time in UTC), 7 shipped in March (2 delayed, 1 exception)."""

import datetime as dt

import pytest

from insights.measures import Period, get_measure
from tests.insights.dataset import MARCH, build
from tests.insights.helpers import d, numbers, table

pytestmark = pytest.mark.django_db


@pytest.fixture
def data():
    return build()


def test_on_time_rate_compares_the_delivery_day_with_the_promised_day(data):
    assert table("on_time_rate", MARCH) == {"all": (d(4), d(7), d("57.14"))}
    assert table("on_time_rate", MARCH, "warehouse") == {
        "EAST": (d(3), d(5), d("60.00")),
        "WEST": (d(1), d(2), d("50.00")),
    }
    assert table("on_time_rate", MARCH, "carrier") == {
        "ups": (d(3), d(5), d("60.00")),
        "fedex": (d(1), d(2), d("50.00")),
    }


def test_on_time_rate_reads_the_day_in_the_store_time_zone(data, settings):
    # S4a was delivered on March 7 at 02:00 UTC: still March 6, its promised day, in New York.
    settings.TIME_ZONE = "America/New_York"
    march = Period.for_days(dt.date(2026, 3, 1), dt.date(2026, 3, 31))
    assert table("on_time_rate", march) == {"all": (d(5), d(7), d("71.43"))}


def test_orders_behind_on_time_are_the_late_deliveries(data):
    assert numbers(get_measure("on_time_rate").orders_behind(MARCH)) == ["O2", "O3", "O4"]


def test_delay_rate_over_shipments_shipped_in_the_period(data):
    assert table("delay_rate", MARCH) == {"all": (d(2), d(7), d("28.57"))}
    assert table("delay_rate", MARCH, "warehouse") == {
        "EAST": (d(1), d(4), d("25.00")),
        "WEST": (d(1), d(3), d("33.33")),
    }
    assert table("delay_rate", MARCH, "ship_date") == {
        "2026-03-02": (d(1), d(2), d("50.00")),
        "2026-03-03": (d(1), d(2), d("50.00")),
        "2026-03-04": (d(0), d(1), d("0.00")),
        "2026-03-11": (d(0), d(1), d("0.00")),
        "2026-03-16": (d(0), d(1), d("0.00")),
    }
    assert table("delay_rate", MARCH, "product") == {
        "tee": (d(1), d(4), d("25.00")),
        "mug": (d(2), d(4), d("50.00")),
    }
    assert table("delay_rate", MARCH, "region") == {
        "US-NY": (d(1), d(2), d("50.00")),
        "US-CA": (d(1), d(2), d("50.00")),
        "BR-SP": (d(0), d(3), d("0.00")),
    }
    assert table("delay_rate", MARCH, "channel") == {
        "web": (d(1), d(5), d("20.00")),
        "marketplace": (d(1), d(1), d("100.00")),
        "replacement": (d(0), d(1), d("0.00")),
    }
    assert numbers(get_measure("delay_rate").orders_behind(MARCH)) == ["O2", "O3"]


def test_exception_rate_counts_shipments_with_an_exception_scan(data):
    assert table("exception_rate", MARCH) == {"all": (d(1), d(7), d("14.29"))}
    assert table("exception_rate", MARCH, "carrier") == {
        "ups": (d(0), d(4), d("0.00")),
        "fedex": (d(1), d(3), d("33.33")),
    }
    assert table("exception_rate", MARCH, "warehouse", carrier="fedex") == {
        "EAST": (d(0), d(1), d("0.00")),
        "WEST": (d(1), d(2), d("50.00")),
    }
    measure = get_measure("exception_rate")
    assert numbers(measure.orders_behind(MARCH, "carrier", "fedex")) == ["O3"]
    assert numbers(measure.orders_behind(MARCH, "carrier", "ups")) == []
