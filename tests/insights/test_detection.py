"""Detection: the thresholds (volume, baseline, ratio, significance), what counts as a contact
about a subject, the delay rate, shadows, and a bounded number of queries."""

import math
from datetime import timedelta

import pytest

from insights.services.detection import SampleCache, Thresholds, detect, poisson_tail
from support.models import Case
from tests.insights.alert_builders import DAY, HOUR, NOW, AlertStore

pytestmark = pytest.mark.django_db

CONTACT, DELAY = "contact_rate", "delay_rate"


def reading(readings, kind, code, metric=CONTACT):
    return next(r for r in readings if r.key == (kind, code, metric))


def ups_contacts(readings):
    return reading(readings, "carrier", "ups")


def store_with_baseline(parcels: int = 40, per_day: int = 1):
    """`parcels` ups parcels from EAST in flight for three weeks, one customer a day calling
    in the baseline windows: expected now = 14 / (14 x 40) x 40 = 1."""
    store = AlertStore()
    shipments = store.parcels(parcels, scan_every=None)
    store.baseline_contacts(shipments, per_day)
    return store, shipments


def call_now(store, shipments, customers: int, **kwargs):
    for shipment in shipments[:customers]:
        store.contact(shipment, NOW - 2 * HOUR, **kwargs)


def test_poisson_tail_matches_the_sum_of_the_distribution():
    def direct(k, mean):
        return 1 - sum(math.exp(-mean) * mean**i / math.factorial(i) for i in range(k))

    for k, mean in ((1, 0.5), (8, 1.0), (8, 1.78), (13, 3.97), (30, 40.0), (3, 12.0)):
        assert poisson_tail(k, mean) == pytest.approx(direct(k, mean), rel=1e-9, abs=1e-15)
    assert poisson_tail(0, 3.0) == 1.0
    assert poisson_tail(5, 0.0) == 0.0
    assert 0 < poisson_tail(60, 2.0) < 1e-40  # tiny tails keep their precision


def test_clearly_above_its_baseline_alarms_with_expected_from_the_baseline_rate():
    store, shipments = store_with_baseline()
    call_now(store, shipments, 8)

    ups = ups_contacts(detect(now=NOW))

    assert ups.volume == 40
    assert ups.baseline_count == 14 and ups.baseline_volume == 14 * 40
    assert ups.expected == pytest.approx(1.0)
    assert ups.observed == 8
    assert ups.observed_rate == pytest.approx(20.0) and ups.baseline_rate == pytest.approx(2.5)
    assert ups.p_value == pytest.approx(poisson_tail(8, 1.0))
    assert ups.is_alarming and ups.is_elevated
    assert ups.drivers[0]["reason"] == "wismo" and ups.drivers[0]["count"] == 8


def test_fewer_contacts_than_the_minimum_never_alarm():
    store, shipments = store_with_baseline()
    call_now(store, shipments, 7)

    ups = ups_contacts(detect(now=NOW))

    assert ups.observed == 7 and ups.expected == pytest.approx(1.0)
    assert not ups.is_alarming
    assert ups.is_elevated  # an open alert would stay open


def test_too_few_shipments_in_flight_never_alarm():
    store = AlertStore()
    shipments = store.parcels(20)
    store.baseline_contacts(shipments)
    call_now(store, shipments, 12)

    ups = ups_contacts(detect(now=NOW))

    assert ups.volume == 20 and ups.observed == 12
    assert not ups.is_alarming


def test_a_significant_rise_below_twice_the_baseline_does_not_alarm():
    store = AlertStore()
    shipments = store.parcels(400, scan_every=None)
    store.baseline_contacts(shipments, per_day=20)  # expected now: 20
    call_now(store, shipments, 39)

    ups = ups_contacts(detect(now=NOW))

    assert ups.expected == pytest.approx(20.0)
    assert poisson_tail(39, 20.0) < Thresholds().max_p_value * 1.1  # about as significant...
    assert not ups.is_alarming  # ...but not twice the usual
    assert ups.is_elevated


def test_no_alarm_without_a_week_of_baseline():
    store = AlertStore()
    shipments = store.parcels(40, shipped_at=NOW - 6 * DAY - 2 * HOUR)  # six baseline days
    call_now(store, shipments, 15)

    ups = ups_contacts(detect(now=NOW))

    assert ups.baseline_days == 6
    assert not ups.is_alarming and not ups.is_elevated


def test_the_baseline_is_the_same_hours_on_earlier_days_never_the_current_window():
    store, shipments = store_with_baseline()
    # Busy mornings do not raise an afternoon's baseline, nor does today's own trouble.
    for day in range(1, 15):
        for shipment in shipments[:5]:
            store.contact(shipment, NOW - day * DAY - 9 * HOUR)
    call_now(store, shipments, 8)

    ups = ups_contacts(detect(now=NOW))

    assert ups.baseline_count == 14
    assert ups.expected == pytest.approx(1.0)
    assert ups.window_start == NOW - 6 * HOUR and ups.window_end == NOW


def test_a_busier_week_raises_what_is_expected():
    store = AlertStore()
    usual = store.parcels(40)
    store.baseline_contacts(usual)
    sale = store.parcels(40, shipped_at=NOW - 12 * HOUR)  # twice as many in flight now
    call_now(store, usual + sale, 8)

    ups = ups_contacts(detect(now=NOW))

    assert ups.volume == 80
    assert ups.expected == pytest.approx(2.0)


def test_a_customer_who_calls_three_times_counts_once():
    store, shipments = store_with_baseline()
    call_now(store, shipments, 7)
    case = store.contact(shipments[7], NOW - 3 * HOUR)
    store.contact_again(case, NOW - 2 * HOUR)
    store.contact_again(case, NOW - HOUR)

    ups = ups_contacts(detect(now=NOW))

    assert ups.observed == 8
    assert ups.is_alarming


def test_a_further_contact_counts_in_the_window_it_happened_in():
    store, shipments = store_with_baseline()
    call_now(store, shipments, 7)
    old_case = store.contact(shipments[20], NOW - 2 * DAY)
    store.contact_again(old_case, NOW - HOUR)

    ups = ups_contacts(detect(now=NOW))

    assert ups.observed == 8


def test_a_contact_counts_against_the_carrier_only_once_the_parcel_was_handed_over():
    store, _shipments = store_with_baseline()
    waiting = store.parcels(8, shipped_at=NOW - HOUR)  # handed over after the calls
    for shipment in waiting:
        store.contact(shipment, NOW - 3 * HOUR)

    readings = detect(now=NOW)

    assert ups_contacts(readings).observed == 0
    assert reading(readings, "warehouse", "EAST").observed == 8


def test_a_case_naming_a_shipment_counts_for_that_shipment_only():
    store, shipments = store_with_baseline()
    # Two orders, each with a ups parcel from EAST and a fedex parcel from WEST.
    first, second = shipments[:2]
    fedex = store.parcels(2, carrier="fedex", warehouse="WEST", scan_every=None)
    fedex[0].order_id, fedex[1].order_id = first.order_id, second.order_id
    for shipment in fedex:
        shipment.save(update_fields=["order"])
    store.contact(first, NOW - HOUR)  # names the ups parcel
    store.contact(second, NOW - HOUR, names_shipment=False)  # about the whole order

    readings = detect(now=NOW)

    assert ups_contacts(readings).observed == 2
    assert reading(readings, "warehouse", "EAST").observed == 2
    assert reading(readings, "carrier", "fedex").observed == 1
    assert reading(readings, "warehouse", "WEST").observed == 1


def test_parcels_without_a_scan_for_longer_than_the_usual_gap_raise_the_delay_rate():
    store = AlertStore()
    # The usual gap: ups scanned every 12 h on parcels it delivered -> 2 x mean gap = 24 h.
    store.parcels(30, shipped_at=NOW - 10 * DAY, delivered_at=NOW - 5 * DAY, status="delivered")
    moving = store.parcels(60)
    stalled = store.parcels(12, until=NOW - 30 * HOUR)
    flagged = store.parcels(3, delayed_at=NOW - 2 * HOUR, delay_reason="exception")

    ups = reading(detect(now=NOW), "carrier", "ups", DELAY)

    assert ups.volume == len(moving) + len(stalled) + len(flagged)
    assert ups.observed == 15
    counts = {d["reason"]: d["count"] for d in ups.drivers}
    assert counts["no_scan"] == 12 and counts["exception"] == 3
    assert ups.is_alarming


def test_a_carrier_disruption_names_the_carrier_not_its_warehouses():
    store = AlertStore()
    ups_east, ups_west = store.parcels(40), store.parcels(40, warehouse="WEST")
    fedex_east = store.parcels(40, carrier="fedex")
    fedex_west = store.parcels(40, carrier="fedex", warehouse="WEST")
    for shipments in (ups_east, ups_west, fedex_east, fedex_west):
        store.baseline_contacts(shipments)
    call_now(store, ups_east, 8)
    call_now(store, ups_west, 8)

    readings = detect(now=NOW)

    assert ups_contacts(readings).is_alarming
    for code in ("EAST", "WEST"):
        warehouse = reading(readings, "warehouse", code)
        assert warehouse.observed == 8 and not warehouse.is_alarming
        assert warehouse.explained_by == ("carrier:ups",)
    assert not reading(readings, "carrier", "fedex").is_alarming


def test_a_warehouse_disruption_names_the_warehouse_not_its_carriers():
    store = AlertStore()
    groups = [
        store.parcels(40, carrier=carrier, warehouse=warehouse)
        for carrier in ("ups", "fedex")
        for warehouse in ("EAST", "WEST")
    ]
    for shipments in groups:
        store.baseline_contacts(shipments)
    ups_east, _ups_west, fedex_east, _fedex_west = groups
    call_now(store, ups_east, 8, reason=Case.Reason.DAMAGED)
    call_now(store, fedex_east, 8, reason=Case.Reason.DAMAGED)

    readings = detect(now=NOW)

    east = reading(readings, "warehouse", "EAST")
    assert east.is_alarming and east.drivers[0]["reason"] == "damaged"
    assert reading(readings, "carrier", "ups").explained_by == ("warehouse:EAST",)
    assert reading(readings, "carrier", "fedex").explained_by == ("warehouse:EAST",)


def test_detection_reads_a_bounded_number_of_queries_whatever_the_subjects(
    django_assert_max_num_queries,
):
    store, shipments = store_with_baseline()
    for carrier in ("fedex", "usps", "dhl"):
        for warehouse in ("EAST", "WEST"):
            store.baseline_contacts(store.parcels(30, carrier=carrier, warehouse=warehouse))
    call_now(store, shipments, 8)

    with django_assert_max_num_queries(5):
        readings = detect(now=NOW)

    assert len(readings) == 2 * (2 + 4)


def test_a_cached_run_reads_the_same_as_a_fresh_one():
    store, shipments = store_with_baseline()
    call_now(store, shipments, 8)
    cache = SampleCache()
    for minutes in (0, 15, 30, 45):
        detect(now=NOW - timedelta(minutes=minutes), cache=cache)

    assert detect(now=NOW, cache=cache) == detect(now=NOW)
