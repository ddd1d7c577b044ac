"""The early warning proved on a simulated store (insights.scenarios), both ways, with
detection run every 15 simulated minutes through the real service:

- a disruption at one carrier (its scans stop, as `simulate_carriers --disrupt-carrier` plays
  it, and its first exception scan only comes a day or more later) is flagged within a few
  hours of the onset and before that first exception scan, naming the carrier and "where is my
  order" as the driving reason, with that carrier's open orders as the exposure;
- a month of normal trading (a sale included) raises at most one alert.

Deterministic: the store comes from a seed, the clock is simulated."""

from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.auth.models import User

from insights.models import Alert
from insights.scenarios import ScenarioSpec, generate, run_every, write
from insights.selectors import exposed_orders
from insights.services import notify_exposed_customers
from notifications.models import OutboxMessage
from oms.actors import Actor
from orders.demo.carriers import Disruption

pytestmark = pytest.mark.django_db

HOUR = timedelta(hours=1)
FEW_HOURS = 4 * HOUR
# A Friday, 11:00 in New York: the carrier's network stops as the day's calls pick up.
ONSET = datetime(2026, 9, 18, 15, tzinfo=UTC)


def first_of(timeline, **fields) -> Alert | None:
    alert = timeline.first(**fields)
    if alert is not None:
        alert.refresh_from_db()
    return alert


def test_a_carrier_disruption_is_flagged_within_hours_and_before_its_first_exception_scan():
    spec = ScenarioSpec(
        start=ONSET.replace(hour=0) - timedelta(days=17),
        days=20,
        orders_per_day=200,
        disruption=Disruption(carrier="ups"),
        onset=ONSET,
    )
    store = write(generate(spec))
    scan_lag = store.first_exception_at - ONSET
    assert timedelta(hours=24) <= scan_lag <= timedelta(hours=36 + 10)

    timeline = run_every(
        start=ONSET - 12 * HOUR,
        end=store.first_exception_at,
        stop_when=lambda t: (
            t.first(metric=Alert.Metric.CONTACT_RATE) is not None
            and t.first(metric=Alert.Metric.DELAY_RATE) is not None
        ),
    )

    assert timeline.raised, "no alert before the first exception scan"
    assert {(a.subject_kind, a.subject_code) for a in timeline.raised} == {("carrier", "ups")}
    first = timeline.raised[0]
    assert ONSET < first.raised_at <= ONSET + FEW_HOURS
    assert first.raised_at < store.first_exception_at
    contacts = first_of(timeline, metric=Alert.Metric.CONTACT_RATE)
    assert contacts is not None and contacts.raised_at <= ONSET + FEW_HOURS
    assert contacts.drivers[0]["reason"] == "wismo"
    at = contacts.raised_at
    delay = first_of(timeline, metric=Alert.Metric.DELAY_RATE)
    delay_hours = f"{(delay.raised_at - ONSET) / HOUR:.2f} h" if delay else "none yet"
    open_orders = store.orders_in_flight_with("ups", at)
    assert set(exposed_orders(contacts, now=at).values_list("pk", flat=True)) == open_orders
    raised = OutboxMessage.objects.get(
        event_type="insights.alert_raised", aggregate_id=str(contacts.pk)
    ).payload["alert"]
    print(
        f"\nonset -> first alert {(first.raised_at - ONSET) / HOUR:.2f} h ({first.metric}), "
        f"contact-rate alert {(at - ONSET) / HOUR:.2f} h ({raised['observed_count']} customers "
        f"vs {raised['expected_count']} expected, {raised['volume']} in flight), "
        f"delay-rate alert {delay_hours}, "
        f"first exception scan {scan_lag / HOUR:.1f} h after the onset: "
        f"{(store.first_exception_at - first.raised_at) / HOUR:.1f} h early; "
        f"{len(open_orders)} ups orders exposed; {len(store.orders)} orders, "
        f"{store.contacts} contacts, {timeline.checks} checks"
    )

    supervisor = Actor.for_user(User.objects.create_user("sam", password="x"))
    told = notify_exposed_customers(alert=contacts, actor=supervisor, now=at)
    again = notify_exposed_customers(alert=contacts, actor=supervisor, now=at)

    assert (told, again) == (len(open_orders), 0)
    assert OutboxMessage.objects.filter(event_type="order.disruption_notice").count() == told


def test_a_month_of_normal_trading_raises_at_most_one_alert():
    start = datetime(2026, 8, 1, tzinfo=UTC)
    spec = ScenarioSpec(
        start=start,
        days=14 + 30,  # two weeks of history, then the month watched
        orders_per_day=120,
        sale_days={25: 2.0, 26: 1.6},  # a weekend sale: more parcels, more calls, no trouble
    )
    store = write(generate(spec))

    timeline = run_every(start=start + timedelta(days=14), end=spec.end)

    assert timeline.checks == 30 * 24 * 4 + 1
    raised = [
        f"{a.subject_kind} {a.subject_code} {a.metric} at {a.raised_at:%Y-%m-%d %H:%M}"
        for a in timeline.raised
    ]
    print(f"\n{len(store.orders)} orders, {store.contacts} contacts, alerts: {raised or 'none'}")
    assert len(timeline.raised) <= 1, raised
