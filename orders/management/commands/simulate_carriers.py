"""Carriers in real time for the demo: every few seconds a few parcels take their next step
(warehouse picking, packing and shipping; carrier pick-up, hubs, out for delivery, delivered,
now and then an exception), so the console and the tracking page show live updates.

`--disrupt-carrier ups` or `--disrupt-warehouse EAST` stalls that carrier's or warehouse's
parcels or sends them into exception, for the delay watch and the insights pages to find.
Stops by itself with --once or --duration; otherwise runs until interrupted (Ctrl-C).
"""

import random
import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from orders.demo import data as demo
from orders.demo.carriers import CarrierSimulation, Disruption, Tick
from orders.models import Warehouse
from orders.services import detect_delays


class Command(BaseCommand):
    help = "Move demo shipments through realistic warehouse steps and carrier scans, live."

    def add_arguments(self, parser):
        parser.add_argument(
            "--interval", type=float, default=2.0, help="Seconds between ticks (default 2)."
        )
        parser.add_argument(
            "--speed",
            type=float,
            default=1.0,
            help="Activity factor: parcels moved per tick scale with it (default 1).",
        )
        parser.add_argument("--once", action="store_true", help="Run a single tick and stop.")
        parser.add_argument(
            "--duration", type=float, default=None, help="Stop by itself after this many seconds."
        )
        parser.add_argument(
            "--seed", type=int, default=None, help="Random seed: the same store plays the same."
        )
        parser.add_argument(
            "--disrupt-carrier",
            choices=sorted(demo.CARRIERS),
            default="",
            help="This carrier's parcels stall or hit exceptions.",
        )
        parser.add_argument(
            "--disrupt-warehouse",
            default="",
            help="Parcels from this warehouse (code) stall or hit exceptions; it ships nothing.",
        )
        parser.add_argument(
            "--detect-delays",
            action="store_true",
            help="Run the delay watch after every tick (beat runs it every 15 min otherwise).",
        )
        parser.add_argument(
            "--force",
            action="store_true",
            help="Run even with DEBUG off (it changes real shipments: a trial stack only).",
        )

    def handle(self, *args, **options):
        if not settings.DEBUG and not options["force"]:
            raise CommandError(
                "DEBUG is off: this moves real shipments and notifies their customers. "
                "Run with --force to simulate anyway (a trial stack, never a real store)."
            )
        if options["interval"] <= 0 or options["speed"] <= 0:
            raise CommandError("--interval and --speed must be positive.")
        carrier = options["disrupt_carrier"]
        if carrier and carrier not in demo.CARRIERS:  # call_command skips argparse's choices
            raise CommandError(f"Unknown carrier {carrier}: use one of {', '.join(demo.CARRIERS)}.")
        warehouse = options["disrupt_warehouse"].strip().upper()
        if warehouse and not Warehouse.objects.filter(code=warehouse).exists():
            raise CommandError(f"No warehouse with code {warehouse}.")
        disruption = Disruption(carrier=carrier, warehouse=warehouse)
        simulation = CarrierSimulation(
            rng=random.Random(options["seed"]), speed=options["speed"], disruption=disruption
        )
        if disruption:
            self.stdout.write(self.style.WARNING(disruption.describe()))
        deadline = (
            time.monotonic() + options["duration"] if options["duration"] is not None else None
        )
        ticks = 0
        total: Tick = Tick()
        try:
            while True:
                ticks += 1
                tick = simulation.tick()
                total.counts.update(tick.counts)
                self.report(ticks, tick)
                if options["detect_delays"]:
                    flagged = {reason: n for reason, n in detect_delays().items() if n}
                    if flagged:
                        self.stdout.write(f"  delayed   {flagged}")
                if options["once"]:
                    break
                pause = options["interval"]
                if deadline is not None:
                    pause = min(pause, deadline - time.monotonic())
                    if pause <= 0:
                        break
                time.sleep(pause)
        except KeyboardInterrupt:
            self.stdout.write("Interrupted.")
        summary = ", ".join(f"{kind} {n}" for kind, n in sorted(total.counts.items()))
        self.stdout.write(self.style.SUCCESS(f"{ticks} tick(s): {summary or 'nothing to move'}"))

    def report(self, number: int, tick: Tick) -> None:
        self.stdout.write(f"tick {number}: {len(tick.lines)} step(s)")
        for line in tick.lines:
            self.stdout.write(line)
