"""Return parcels in the demo: every tick a few approved returns are picked up by the return
carrier and returns on their way move to the warehouse's door, through the same service a
carrier's scans reach (returns.services.receiving.record_return_scan), so the console's queue
and the customer's return page update live. The warehouse still receives each parcel itself.
"""

import random
import time
from datetime import timedelta

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from oms.actors import Actor
from returns.models import ReturnRequest, ReturnStatus
from returns.selectors import return_timeline
from returns.services import receiving

ACTOR = Actor.system("return-carrier-simulator")
# The next scan after each one a parcel already has (None: not scanned yet).
NEXT_SCAN = {None: "picked_up", "picked_up": "in_transit", "in_transit": "delivered"}


class Command(BaseCommand):
    help = "Move approved return parcels forward with carrier scans (demo data)."

    def add_arguments(self, parser):
        parser.add_argument("--interval", type=float, default=3.0, help="Seconds between ticks.")
        parser.add_argument("--per-tick", type=int, default=3, help="Parcels moved per tick.")
        parser.add_argument("--once", action="store_true", help="Run a single tick and stop.")
        parser.add_argument("--duration", type=float, default=None, help="Stop after seconds.")
        parser.add_argument("--seed", type=int, default=None, help="Random seed.")
        parser.add_argument(
            "--force", action="store_true", help="Run even with DEBUG off (trial stacks only)."
        )

    def handle(self, *args, **options):
        if not settings.DEBUG and not options["force"]:
            raise CommandError(
                "DEBUG is off: this moves real returns and notifies their customers. "
                "Run with --force to simulate anyway (a trial stack, never a real store)."
            )
        if options["interval"] <= 0 or options["per_tick"] <= 0:
            raise CommandError("--interval and --per-tick must be positive.")
        rng = random.Random(options["seed"])
        deadline = (
            time.monotonic() + options["duration"] if options["duration"] is not None else None
        )
        moved = 0
        try:
            while True:
                moved += self.tick(rng, options["per_tick"])
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
        self.stdout.write(self.style.SUCCESS(f"{moved} return scan(s)"))

    def tick(self, rng: random.Random, per_tick: int) -> int:
        candidates = list(
            ReturnRequest.objects.filter(
                status__in=[ReturnStatus.APPROVED, ReturnStatus.IN_TRANSIT]
            )
            .exclude(tracking_number="")
            .order_by("pk")
            .values_list("pk", "tracking_number", "rma")[:200]
        )
        rng.shuffle(candidates)
        moved = 0
        for pk, tracking_number, rma in candidates[:per_tick]:
            status = NEXT_SCAN.get(self.last_scan(pk))
            if status is None:
                continue  # at the warehouse's door: the warehouse receives it
            receiving.record_return_scan(
                tracking_number=tracking_number,
                status=status,
                occurred_at=timezone.now() - timedelta(seconds=rng.randint(0, 60)),
                actor=ACTOR,
                carrier_event_id=f"sim-{rma}-{status}",
                location="Returns hub",
            )
            self.stdout.write(f"  {rma}  {status}")
            moved += 1
        return moved

    @staticmethod
    def last_scan(return_id: int) -> str | None:
        event = (
            return_timeline(return_id)
            .filter(type="in_transit")
            .order_by("-id")
            .values_list("data", flat=True)
            .first()
        )
        return event.get("carrier_status") if event else None
