"""seed_bulk: a large, believable store generated in PostgreSQL (see oms.bulk.steps)."""

from datetime import UTC, datetime

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from oms.bulk import progress, store


class Command(BaseCommand):
    help = (
        "Generate a store of N orders (customers, lines, payments, shipments, carrier scans, "
        "the order timeline, cases, returns) with set-based SQL in PostgreSQL. The store must "
        "be empty; --replace empties it first."
    )

    def add_arguments(self, parser):
        parser.add_argument("--orders", type=int, required=True, help="How many orders.")
        parser.add_argument(
            "--days",
            type=int,
            default=365,
            help="Spread the orders over this many days up to now (default 365).",
        )
        parser.add_argument(
            "--replace",
            action="store_true",
            help="Empty the store's tables first (orders, customers, catalogue, and every row "
            "that refers to them): everything there is lost.",
        )
        parser.add_argument(
            "--seed", type=float, default=0.42, help="Random seed in [-1, 1] (default 0.42)."
        )

    def handle(self, *args, orders: int, days: int, replace: bool, seed: float, **options):
        if connection.vendor != "postgresql":
            raise CommandError("seed_bulk needs PostgreSQL (it generates the store in SQL).")
        if orders < 1 or days < 1:
            raise CommandError("--orders and --days must be at least 1.")
        if not -1 <= seed <= 1:
            raise CommandError("--seed must be between -1 and 1.")
        if connection.in_atomic_block:
            raise CommandError("seed_bulk cannot run inside a transaction.")
        anchor = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
        database = connection.settings_dict["NAME"]
        self.stdout.write(
            f"Generating {orders:,} orders over {days} days up to {anchor:%Y-%m-%d %H:%M}Z "
            f"in {database}" + (" (replacing its store)" if replace else "")
        )
        stream = self.stdout._out
        is_tty = hasattr(stream, "isatty") and stream.isatty()
        shown = progress.Bar(stream, orders=orders) if is_tty else progress.StepLines(stream)
        try:
            generated = store.generate(
                orders=orders, days=days, anchor=anchor, replace=replace, seed=seed, progress=shown
            )
        except store.StoreNotEmpty as exc:
            raise CommandError(
                f"{database} already holds a store ({exc}); nothing was written. "
                "Use an empty database, or --replace to empty this one first."
            ) from None
        finally:
            shown.close()
        for table, count in generated.counts.items():
            self.stdout.write(f"  {table:<28} {count:>12,}")
        rate = orders / generated.seconds
        self.stdout.write(
            self.style.SUCCESS(
                f"{orders:,} orders in {generated.seconds:.0f} s ({rate:,.0f} orders/s)."
            )
        )
