"""simulate_carriers: demo parcels take realistic steps through the real services, tick by tick;
a disruption stalls one carrier's or warehouse's parcels; the command always stops by itself
when asked to."""

import random
import time
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction

from notifications.models import OutboxMessage
from orders import services
from orders.demo import data as demo
from orders.demo.carriers import next_scan
from orders.models import Shipment, TrackingEvent, Warehouse
from tests.factories import StockFactory, VariantFactory
from tests.orders.builders import ACTOR, order_input

pytestmark = pytest.mark.django_db

BOSTON = {
    "name": "Ana Souza",
    "line1": "1 Main St",
    "city": "Boston",
    "region": "MA",
    "postal_code": "02110",
    "country": "US",
}
REALISTIC_PATH = ["picked_up", "in_transit", "in_transit", "out_for_delivery", "delivered"]


@pytest.fixture
def store(settings) -> dict[str, list[Shipment]]:
    """EAST parcels with UPS and WEST parcels with FedEx, in flight; two orders still waiting
    at EAST. Demo warehouses, so routes run through the carriers' real hubs."""
    settings.DEBUG = True
    warehouses = {}
    for code, name, region, city, postal_code, priority in demo.WAREHOUSES[:2]:
        warehouses[code] = Warehouse.objects.create(
            code=code,
            name=name,
            region=region,
            city=city,
            postal_code=postal_code,
            priority=priority,
            country="US",
        )
        StockFactory(variant=VariantFactory(sku=f"TEE-{code}"), warehouse=warehouses[code])
    rng = random.Random(0)
    parcels: dict[str, list[Shipment]] = {"ups": [], "fedex": [], "waiting": []}
    for code, carrier in [("EAST", "ups"), ("WEST", "fedex")] * 3 + [("EAST", None)] * 2:
        order = services.place_order(
            data=order_input([(f"TEE-{code}", 1)], shipping_address=BOSTON), actor=ACTOR
        )
        shipment = order.shipments.get()
        if carrier is None:
            parcels["waiting"].append(shipment)
            continue
        parcels[carrier].append(
            services.ship_shipment(
                shipment=shipment,
                carrier=carrier,
                tracking_number=demo.tracking_number(rng, carrier),
                service="Ground",
                actor=ACTOR,
            )
        )
    return parcels


def simulate(**options) -> str:
    out = StringIO()
    call_command("simulate_carriers", stdout=out, **options)
    return out.getvalue()


def scans_of(shipment: Shipment) -> list[str]:
    return list(
        TrackingEvent.objects.filter(shipment=shipment)
        .order_by("occurred_at", "pk")
        .values_list("status", flat=True)
    )


def statuses(shipments: list[Shipment]) -> list[str]:
    return [Shipment.objects.get(pk=s.pk).status for s in shipments]


def test_one_tick_moves_a_few_parcels_through_the_real_services(store):
    output = simulate(once=True, seed=1)

    scans = TrackingEvent.objects.all()
    assert scans.count() == 2  # two carrier scans and one warehouse step a tick, at speed 1
    assert not scans.filter(applied_at__isnull=True).exists()
    assert {scan.status for scan in scans} <= {"picked_up", "exception"}
    assert all(scan.actor_label == f"{scan.carrier} tracking" for scan in scans)
    moved = [s for s in store["ups"] + store["fedex"] if statuses([s]) != ["shipped"]]
    assert len(moved) == 2
    assert statuses(store["waiting"]).count("picking") == 1
    assert OutboxMessage.objects.filter(event_type__startswith="shipment.").exists()
    assert output.startswith("tick 1: 3 step(s)")
    assert "1 tick(s):" in output


def test_parcels_travel_a_realistic_route_to_the_door_and_waiting_orders_ship(store):
    for tick in range(16):
        simulate(once=True, seed=tick, speed=20)

    in_flight = store["ups"] + store["fedex"]
    assert statuses(in_flight) == ["delivered"] * len(in_flight)
    for shipment in in_flight:
        path = scans_of(shipment)
        # A failed doorstep attempt is followed by another delivery run.
        while "exception" in path:
            at = path.index("exception")
            assert path[at - 1 : at + 2] == ["out_for_delivery", "exception", "out_for_delivery"]
            del path[at : at + 2]
        assert path == REALISTIC_PATH
        locations = list(
            TrackingEvent.objects.filter(shipment=shipment)
            .order_by("occurred_at", "pk")
            .values_list("location", flat=True)
        )
        hub = demo.CARRIERS[shipment.carrier][2][shipment.warehouse.region]
        assert locations[:3] == [
            f"{shipment.warehouse.city}, {shipment.warehouse.region}",
            hub,
            "Boston, MA",
        ]
    for shipment in store["waiting"]:
        shipment.refresh_from_db()
        assert shipment.status != "pending"
        assert shipment.carrier in demo.CARRIERS
        assert shipment.service == "Ground"
        assert shipment.tracking_number


def test_a_disrupted_carrier_stalls_or_fails_while_the_others_move_on(store):
    before = {s.pk: len(scans_of(s)) for s in store["ups"]}

    output = simulate(once=True, seed=3, speed=20, disrupt_carrier="ups")
    for tick in range(4):
        simulate(once=True, seed=10 + tick, speed=20, disrupt_carrier="ups")

    assert output.startswith("Disruption at carrier ups")
    assert "stalled" in output
    ups_scans = TrackingEvent.objects.filter(shipment__carrier="ups")
    assert set(ups_scans.values_list("status", flat=True)) == {"exception"}
    assert sum(len(scans_of(s)) - before[s.pk] for s in store["ups"]) < 5 * len(store["ups"])
    assert set(statuses(store["ups"])) <= {"shipped", "exception"}
    assert "shipped" not in statuses(store["fedex"])
    assert TrackingEvent.objects.filter(shipment__carrier="fedex").exclude(
        status="exception"
    ).count() >= 4 * len(store["fedex"])


def test_a_disrupted_warehouse_ships_nothing_and_its_parcels_stall(store):
    output = simulate(once=True, seed=5, speed=20, disrupt_warehouse="east")

    assert output.startswith("Disruption at warehouse EAST")
    assert statuses(store["waiting"]) == ["pending", "pending"]
    assert set(
        TrackingEvent.objects.filter(shipment__warehouse__code="EAST").values_list(
            "status", flat=True
        )
    ) <= {"exception"}
    assert statuses(store["fedex"]) == ["in_transit"] * 3  # WEST parcels: picked up


def test_the_same_seed_plays_the_same_ticks(store):
    def play(seed: int) -> list[str]:
        with transaction.atomic():
            outputs = [simulate(once=True, seed=seed + tick) for tick in range(6)]
            transaction.set_rollback(True)
        return outputs

    first = play(42)
    assert first == play(42)
    assert first != play(142)


def test_duration_stops_the_loop_by_itself(store):
    started = time.monotonic()
    output = simulate(duration=0.5, interval=0.1, seed=1)

    assert time.monotonic() - started < 2.5
    last_line = output.rstrip("\n").rsplit("\n", 1)[-1]
    assert 1 <= int(last_line.split()[0]) <= 6


def test_the_delay_watch_can_run_after_every_tick(store):
    output = simulate(once=True, seed=3, speed=20, disrupt_carrier="ups", detect_delays=True)

    assert "delayed   {'exception':" in output
    assert Shipment.objects.filter(delay_reason="exception", carrier="ups").exists()


def test_bad_options_are_refused_and_change_nothing(store, settings):
    with pytest.raises(CommandError, match="No warehouse with code NOWHERE"):
        simulate(once=True, disrupt_warehouse="NOWHERE")
    with pytest.raises(CommandError, match="Unknown carrier dhl"):
        simulate(once=True, disrupt_carrier="dhl")
    with pytest.raises(CommandError, match="must be positive"):
        simulate(once=True, interval=0)
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG is off"):
        simulate(once=True)
    assert not TrackingEvent.objects.exists()
    assert statuses(store["waiting"]) == ["pending", "pending"]


@pytest.mark.parametrize(
    ("history", "expected"),
    [
        ([], ("picked_up", 0)),
        (["label_created"], ("picked_up", 0)),
        (["picked_up"], ("in_transit", 1)),
        (["picked_up", "in_transit"], ("in_transit", 2)),
        (["picked_up", "in_transit", "info"], ("in_transit", 2)),
        (["picked_up", "in_transit", "in_transit"], ("out_for_delivery", 2)),
        (["picked_up", "in_transit", "out_for_delivery"], ("delivered", 2)),
        (["picked_up", "in_transit", "out_for_delivery", "exception"], ("out_for_delivery", 2)),
        (
            ["picked_up", "in_transit", "out_for_delivery", "exception", "info"],
            ("out_for_delivery", 2),
        ),
        (["exception"], ("picked_up", 0)),
        (["picked_up", "exception", "exception"], ("in_transit", 1)),
        (["picked_up", "in_transit", "in_transit", "exception"], ("out_for_delivery", 2)),
    ],
)
def test_next_scan_follows_the_carrier_route(history, expected):
    assert next_scan(history) == expected
