"""The measures' common ground: periods, the catalogue, refusals, and the "none" key."""

import datetime as dt

import pytest
from django.utils.translation import override

from insights.measures import CUTS, MEASURES, Period, Unit, get_measure
from oms.exceptions import NotFound, ValidationFailed
from tests.insights.dataset import MARCH, build
from tests.insights.helpers import d, numbers, table

UNITS = {value for name, value in vars(Unit).items() if name.isupper()}


def test_a_period_is_aware_and_ends_after_it_starts():
    start = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
    with pytest.raises(ValueError):
        Period(start.replace(tzinfo=None), start + dt.timedelta(days=1))
    with pytest.raises(ValueError):
        Period(start, start)


def test_last_days_are_whole_store_days_with_today(settings):
    settings.TIME_ZONE = "America/Sao_Paulo"
    now = dt.datetime(2026, 3, 10, 2, 30, tzinfo=dt.UTC)  # still March 9 in São Paulo
    period = Period.last_days(7, now=now)
    zone = dt.timezone(dt.timedelta(hours=-3))
    assert period.start == dt.datetime(2026, 3, 3, tzinfo=zone)
    assert period.end == dt.datetime(2026, 3, 10, tzinfo=zone)


def test_every_measure_has_a_definition_a_unit_and_the_cuts_it_takes():
    assert set(MEASURES) >= {
        "contacts_per_100_orders",
        "contacts_per_100_shipments",
        "wismo_share",
        "fcr_rate",
        "csat",
        "on_time_rate",
        "delay_rate",
        "exception_rate",
        "return_rate",
        "return_reasons",
        "cost_to_serve",
        "repurchase_90d",
    }
    for code, measure in MEASURES.items():
        assert measure.code == code
        assert len(str(measure.definition)) > 100, code
        assert str(measure.title) and str(measure.drill), code
        assert measure.unit in UNITS, code
        assert {"warehouse", "carrier"} <= set(measure.cuts), code
        assert set(measure.cuts) - set(CUTS) <= {"reason", "component", "experience"}, code


def test_an_unknown_measure_is_not_found():
    with pytest.raises(NotFound):
        get_measure("happiness")


@pytest.mark.parametrize(
    ("code", "cut", "filters", "field"),
    [
        ("delay_rate", "reason", None, "cut"),
        ("delay_rate", None, {"reason": "wismo"}, "reason"),
        ("delay_rate", None, {"warehouse": ["EAST"]}, "warehouse"),
        ("delay_rate", None, {"ship_date": "yesterday"}, "ship_date"),
        ("repurchase_90d", None, {"experience": "joy"}, "experience"),
        ("cost_to_serve", None, {"component": "tax"}, "component"),
    ],
)
def test_a_cut_or_filter_the_measure_does_not_take_is_refused(code, cut, filters, field):
    with pytest.raises(ValidationFailed) as refused:
        get_measure(code).compute(MARCH, cut=cut, filters=filters)
    assert [error["field"] for error in refused.value.errors] == [field]


@pytest.mark.django_db
def test_without_data_a_measure_answers_one_empty_row():
    rows = get_measure("contacts_per_100_orders").compute(MARCH)
    assert [(r.key, r.label, r.numerator, r.denominator, r.value) for r in rows] == [
        ("all", "All", 0, 0, None)
    ]
    assert get_measure("delay_rate").compute(MARCH, cut="warehouse") == []


@pytest.mark.django_db
def test_the_none_key_selects_what_has_no_attribution():
    build()
    # C6 and C7's further contact are about no order: no region; no order lacks one.
    assert table("contacts_per_100_orders", MARCH, region="none") == {"all": (d(2), d(0), None)}
    assert table("delay_rate", MARCH, ship_date="2026-03-02") == {"all": (d(1), d(2), d("50.00"))}
    measure = get_measure("contacts_per_100_orders")
    assert numbers(measure.orders_behind(MARCH, "carrier", "none")) == []
    assert numbers(get_measure("delay_rate").orders_behind(MARCH, "ship_date", "2026-03-03")) == [
        "O3"
    ]


def test_every_definition_is_read_in_the_readers_language():
    # Built lazily: a definition joined at import time would stay in English for everyone.
    for measure in MEASURES.values():
        english = str(measure.definition)
        with override("pt-br"):
            portuguese = str(measure.definition)
        assert portuguese != english, measure.code
