"""Cost to serve on the hand-built data set. In USD in March: refund 20.00 (R1, O1), store
credit 10.00 (R3, O3; the 1.00 bonus is not counted), price adjustment 2.50 (O2), goodwill
5.00 (O3), a replacement worth 10.00 (O7, for O2): 47.50 over 7 USD orders. In BRL: goodwill
7.00 over 1 order (O8)."""

import pytest

from insights.measures import get_measure
from oms.exceptions import ValidationFailed
from tests.insights.dataset import MARCH, build
from tests.insights.helpers import d, numbers, table

pytestmark = pytest.mark.django_db


@pytest.fixture
def data():
    return build()


def test_cost_to_serve_is_per_order_in_the_store_currency_by_default(data, settings):
    settings.OMS_DEFAULT_CURRENCY = "USD"
    assert table("cost_to_serve", MARCH) == {"all": (d("47.50"), d(7), d("6.79"))}


def test_cost_to_serve_never_adds_currencies(data):
    assert table("cost_to_serve", MARCH, currency="BRL") == {"all": (d("7.00"), d(1), d("7.00"))}
    assert table("cost_to_serve", MARCH, currency="EUR") == {"all": (d(0), d(0), None)}


def test_cost_to_serve_by_warehouse_and_carrier(data):
    # EAST: R1 20.00 (O1), 2.50 (O2), the replacement of O2 10.00; orders O1 O2 O4 O6.
    # WEST: R3 10.00 and goodwill 5.00 (O3); orders O3 O5 O7.
    assert table("cost_to_serve", MARCH, "warehouse", currency="USD") == {
        "EAST": (d("32.50"), d(4), d("8.13")),
        "WEST": (d("15.00"), d(3), d("5.00")),
    }
    assert table("cost_to_serve", MARCH, "carrier", currency="USD") == {
        "ups": (d("32.50"), d(4), d("8.13")),  # orders O1 O2 O4 O7
        "fedex": (d("15.00"), d(1), d("15.00")),  # O3
        "none": (d(0), d(2), d("0.00")),  # O5 O6
    }


def test_cost_to_serve_by_component(data):
    assert table("cost_to_serve", MARCH, "component", currency="USD") == {
        "refund": (d("20.00"), d(7), d("2.86")),
        "store_credit": (d("10.00"), d(7), d("1.43")),
        "goodwill_credit": (d("5.00"), d(7), d("0.71")),
        "price_adjustment": (d("2.50"), d(7), d("0.36")),
        "shipping_refund": (d(0), d(7), d("0.00")),
        "reship": (d("10.00"), d(7), d("1.43")),
    }
    assert table("cost_to_serve", MARCH, "warehouse", currency="USD", component="reship") == {
        "EAST": (d("10.00"), d(4), d("2.50")),
        "WEST": (d(0), d(3), d("0.00")),
    }


def test_orders_behind_cost_to_serve(data):
    measure = get_measure("cost_to_serve")
    assert numbers(measure.orders_behind(MARCH, filters={"currency": "USD"})) == [
        "O1",
        "O2",
        "O3",
    ]
    assert numbers(
        measure.orders_behind(MARCH, "component", "reship", filters={"currency": "USD"})
    ) == ["O2"]
    assert numbers(measure.orders_behind(MARCH, filters={"currency": "BRL"})) == ["O8"]


def test_an_unknown_currency_is_refused():
    with pytest.raises(ValidationFailed) as refused:
        get_measure("cost_to_serve").compute(MARCH, filters={"currency": "XXX"})
    assert refused.value.errors[0]["field"] == "currency"
