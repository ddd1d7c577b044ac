"""Build a believable demo store: warehouses, catalogue, stock, customers, staff logins, two
months of orders in every status, made by the real services so every invariant holds, and the
support cases customers opened about them (support.demo).

Idempotent: what exists is kept (matched by natural keys), orders are only generated up to
--orders, cases up to their share of the orders, and the demo passwords are reset on every run.

It lives in support, the top layer, because it seeds every app: the order core's demo
(orders.demo) and the console's cases.
"""

import random
import time
from collections import Counter

from django.conf import settings
from django.contrib.auth.models import Group, User
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from notifications.services import dispatch
from oms.models import ApiClient
from orders.demo.clock import SimulatedClock
from orders.demo.setup import (
    DEMO_CLIENT_TOKEN,
    DEMO_USERS,
    ensure_demo_api_client,
    ensure_demo_users,
    mark_history_dispatched,
    seed_catalogue,
    seed_customers,
)
from orders.demo.simulation import (
    DEFAULT_ORDERS,
    OS,
    QUICK_ORDERS,
    SEED,
    StoreSimulation,
)
from orders.models import Order
from returns.demo import seed_returns
from support.demo import SEED_SALT as CASES_SEED_SALT
from support.demo import seed_cases
from support.demo.extensions import demo_steps

# Console-only logins: no admin access (not staff), one console group each. The warehouse login
# receives and inspects returned parcels (/console/returns/receive/) and nothing else.
CONSOLE_DEMO_USERS = [("warehouse", "warehouse-demo", "warehouse")]


def ensure_console_demo_users() -> dict[str, User]:
    """The console-only demo logins, with their documented passwords set again on every run."""
    users = {}
    for username, password, group_name in CONSOLE_DEMO_USERS:
        user, _ = User.objects.get_or_create(
            username=username, defaults={"email": f"{username}@oms.local"}
        )
        user.is_staff, user.is_superuser, user.is_active = False, False, True
        user.set_password(password)
        user.save()
        user.groups.add(Group.objects.get_or_create(name=group_name)[0])
        users[username] = user
    return users


class Command(BaseCommand):
    help = (
        "Load demo data: catalogue, stock, customers, staff logins, orders and support cases "
        "(idempotent)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--orders",
            type=int,
            default=None,
            help=f"Orders the store should have (default {DEFAULT_ORDERS}).",
        )
        parser.add_argument(
            "--quick",
            action="store_true",
            help=f"A small store for tests and quick looks ({QUICK_ORDERS} orders).",
        )
        parser.add_argument(
            "--force",
            action="store_true",
            help="Load the demo even with DEBUG off (its logins have public passwords).",
        )

    def handle(self, *args, orders: int | None = None, quick: bool = False, **options):
        if not settings.DEBUG and not options["force"]:
            raise CommandError(
                "DEBUG is off: the demo creates staff logins with public passwords. "
                "Run with --force to load it anyway (a trial stack, never a real store)."
            )
        started = time.monotonic()
        target = orders if orders is not None else QUICK_ORDERS if quick else DEFAULT_ORDERS
        real_now = timezone.now()
        users = {**ensure_demo_users(), **ensure_console_demo_users()}
        client = ensure_demo_api_client(self.stdout)
        clock = SimulatedClock(real_now)
        # Two months of past orders: their outbox rows are history, marked dispatched, not sent.
        with clock.installed(), dispatch.history_import():
            with transaction.atomic():
                created, stock_keys = seed_catalogue(
                    random.Random(f"{SEED}:catalogue"), clock, real_now
                )
                mark_history_dispatched([], stock_keys)
            self.stdout.write(f"Catalogue: {created}")
            with transaction.atomic():
                customers = seed_customers(random.Random(f"{SEED}:customers"), clock, real_now)
            self.stdout.write(f"Customers: {len(customers)}")
            existing = Order.objects.count()
            if existing >= target:
                self.stdout.write(f"Orders: {existing} exist (target {target}); none generated.")
            else:
                simulation = StoreSimulation(
                    rng=random.Random(f"{SEED}:orders:{existing}"),
                    clock=clock,
                    now=real_now,
                    customers=customers,
                    users=users,
                    client=client,
                    stdout=self.stdout,
                )
                simulation.run(simulation.plans(target - existing, first_index=existing))
            # Cases are history too: written directly, no outbox message, nobody emailed.
            summary = seed_cases(
                rng=random.Random(f"{SEED}:{CASES_SEED_SALT}:{Order.objects.count()}"),
                now=real_now,
                users=users,
            )
            self.stdout.write(f"Cases: {summary}")
            seed_returns(clock=clock, now=real_now, users=users, stdout=self.stdout)
            for label, step in demo_steps():
                summary = step(clock=clock, now=real_now, users=users, stdout=self.stdout)
                self.stdout.write(f"{label}: {summary}")
        self.print_summary(client, time.monotonic() - started)

    def print_summary(self, client: ApiClient | None, seconds: float) -> None:
        statuses = Counter(Order.objects.values_list("status", flat=True))
        self.stdout.write(
            "Orders by status: "
            + ", ".join(f"{status} {statuses.get(status, 0)}" for status in OS.values)
        )
        self.stdout.write(self.style.SUCCESS(f"Demo data ready in {seconds:.1f} s."))
        self.stdout.write("Demo logins (demo only, change them anywhere real):")
        for username, password, group, _superuser in DEMO_USERS:
            role = group or "superuser"
            self.stdout.write(f"  {username:<11} / {password:<16} ({role})")
        for username, password, group in CONSOLE_DEMO_USERS:
            self.stdout.write(f"  {username:<11} / {password:<16} ({group}, console only)")
        if client is not None:
            self.stdout.write(
                f"Demo API client: {client.name}, token {DEMO_CLIENT_TOKEN} "
                "(DEBUG only; use it as 'Authorization: Bearer <token>')"
            )
