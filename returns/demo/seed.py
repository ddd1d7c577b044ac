"""Demo returns over the demo store's delivered orders, made by the real returns services on the
simulated clock: requests from the portal and the console, reviews, labels, carrier scans,
receipts, inspections, refunds, store credit, exchanges (with their replacement orders shipped
and delivered), cancellations, expiries, and statutory withdrawals by customers in Brazil and
the EU.

Every step happens in time order (a heap of steps, as orders.demo.simulation does) so ids and
timestamps move forward together. What the steps emit is history: the outbox rows are marked
dispatched, nobody is emailed. Idempotent: returns are only added up to their share of the
delivered orders, the customers abroad only once.
"""

import heapq
import importlib
import random
import struct
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from functools import partial

from django.apps import apps as django_apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.db.models import F, Max

from notifications.models import OutboxMessage
from oms.actors import Actor, ActorKind
from oms.exceptions import DomainError
from orders.demo import data as store
from orders.demo.clock import SimulatedClock
from orders.demo.simulation import SEED
from orders.models import Customer, Order, OrderLine, Stock, Variant
from orders.services import (
    CustomerInput,
    LineInput,
    OrderInput,
    PaymentInput,
    place_order,
    record_tracking_event,
    ship_shipment,
)
from returns.demo import data as demo
from returns.models import (
    Disposition,
    ItemCondition,
    RequestedVia,
    Resolution,
    ReturnPolicy,
    ReturnRequest,
    ReturnStatus,
)
from returns.policy import RequestedLine, evaluate_order
from returns.services import receiving, requests, transitions

SEED_SALT = "returns"
RETURN_CARRIER_LOCATIONS = ("Secaucus, NJ", "Reno, NV", "Mesquite, TX", "Columbus, OH")
STEPS_PER_TRANSACTION = 40
LATEST = timedelta(minutes=10)  # no step closer to now than this


def _png(size: int = 48) -> bytes:
    """A small grey PNG: the photo a customer attaches to a damaged item (type-checked)."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body) & 0xFFFFFFFF
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)

    rows = b"".join(b"\x00" + bytes([150, 140, 130]) * size for _ in range(size))
    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


PHOTO = _png()


@dataclass
class Plan:
    """One demo return: whose, why, and the steps that make it, in days after the request."""

    order: Order
    fate: str
    requested_at: datetime
    lines: list[RequestedLine]
    resolution: str
    reason: str
    via: str
    is_withdrawal: bool = False
    steps: list[tuple[float, Callable[[], None]]] = field(default_factory=list)
    return_request: ReturnRequest | None = None


def ensure_policy() -> None:
    """The store's Standard policy (migration returns/0003) when no policy is active: a flushed
    test database has none, and the engine's bare default has no review or photo rules."""
    if not ReturnPolicy.objects.filter(is_active=True).exists():
        migration = importlib.import_module("returns.migrations.0003_standard_policy")
        migration.seed(django_apps, None)


class ReturnsSimulation:
    def __init__(self, *, rng: random.Random, clock: SimulatedClock, now: datetime, users) -> None:
        self.rng, self.clock, self.now = rng, clock, now
        self.agent = Actor.for_user(users["agent"])
        self.supervisor = Actor.for_user(users["supervisor"])
        warehouse = users.get("warehouse")
        self.warehouse = Actor.for_user(warehouse) if warehouse else Actor.system("wms")
        self.scanner = Actor.system("returns-post tracking")
        self.carrier_hub = Actor.system("carrier tracking")
        self.refused: list[str] = []
        self.touched_orders: set[str] = set()
        self._variants = self._variants_by_product()

    # --- planning -----------------------------------------------------------------------------

    def plans(self, orders: list[Order], count: int) -> list[Plan]:
        """`count` returns over `orders` (delivered, none returned yet): each fate's share, at
        least one of each, given to an order delivered long enough ago to have reached it."""
        names = list(demo.FATES)
        shares = [share for share, _ in demo.FATES.values()]
        fates = names[:count] + self.rng.choices(
            names, weights=shares, k=max(0, count - len(names))
        )
        self.rng.shuffle(fates)
        available = list(orders)
        self.rng.shuffle(available)
        plans = []
        for fate in fates:
            for index, order in enumerate(available):
                plan = self.plan(order, fate)
                if plan is not None:
                    plans.append(plan)
                    del available[index]
                    break
        return plans

    def plan(self, order: Order, fate: str) -> Plan | None:
        rng = self.rng
        low, high = demo.FATES[fate][1]
        earliest = max(order.delivered_at + timedelta(hours=8), self.now - timedelta(days=high))
        # Within the store's 30-day window, with a margin for the customer's time zone.
        latest = min(order.delivered_at + timedelta(days=25), self.now - timedelta(days=low))
        if earliest >= latest:
            return None
        at = earliest + (latest - earliest) * rng.random()
        # What the policy lets the customer return then (final sale items stay).
        returnable = {
            decision.order_line.pk: decision.returnable_quantity
            for decision in evaluate_order(order, at=at).lines
            if decision.is_returnable and not decision.is_statutory_only
        }
        lines = [line for line in order.lines.all() if returnable.get(line.pk)]
        if not lines:
            return None
        resolution = {"credited": Resolution.STORE_CREDIT, "exchanged": Resolution.EXCHANGE}.get(
            fate, Resolution.REFUND
        )
        if fate in ("review", "rejected"):
            reason = "other"
        elif resolution == Resolution.EXCHANGE:
            reason = rng.choice(demo.SIZE_REASONS)
        else:
            reason = rng.choices(list(demo.REASONS), weights=list(demo.REASONS.values()))[0]
        chosen = [rng.choice(lines)]
        if resolution != Resolution.EXCHANGE and len(lines) > 1 and rng.random() < 0.2:
            chosen = rng.sample(lines, 2)
        requested = []
        for line in chosen:
            exchange_variant = None
            if resolution == Resolution.EXCHANGE:
                exchange_variant = self.exchange_variant(line, reason)
                if exchange_variant is None:
                    return None
            quantity = returnable[line.pk] if rng.random() < 0.25 else 1
            requested.append(
                RequestedLine(
                    order_line_id=line.pk,
                    quantity=quantity,
                    reason=reason,
                    comment=rng.choice(demo.COMMENTS[reason]),
                    exchange_variant_id=exchange_variant.pk if exchange_variant else None,
                )
            )
        via = RequestedVia.PORTAL if rng.random() < 0.85 else RequestedVia.CONSOLE
        plan = Plan(order, fate, at, requested, resolution, reason, via)
        plan.steps = self.schedule(plan)
        return plan

    def _variants_by_product(self) -> dict[str, tuple]:
        """sku -> (variant sizes of the same product and colour, in size order, and this size's
        place), for the demo catalogue's sized products."""
        found = {}
        skus = {}
        for product in store.PRODUCTS:
            if len(product.sizes) < 2:
                continue
            for colour in product.colours:
                row = [store.sku_for(product, colour, size) for size in product.sizes]
                for index, sku in enumerate(row):
                    skus[sku] = (row, index)
        variants = {v.sku: v for v in Variant.objects.filter(sku__in=skus, is_active=True)}
        in_stock = set(
            Stock.objects.filter(variant__sku__in=skus, on_hand__gt=F("allocated") + 2)
            .values_list("variant__sku", flat=True)
            .distinct()
        )
        for sku, (row, index) in skus.items():
            found[sku] = ([variants.get(s) if s in in_stock else None for s in row], index)
        return found

    def exchange_variant(self, line: OrderLine, reason: str) -> Variant | None:
        """The next size up (too small) or down (too large), in stock."""
        row, index = self._variants.get(line.sku, ([], 0))
        other = index + (1 if reason == "size_too_small" else -1)
        return row[other] if 0 <= other < len(row) else None

    def schedule(self, plan: Plan) -> list[tuple[float, Callable[[], None]]]:
        """The return's steps as (days after the request, action), squeezed into the time
        between the request and now."""
        rng = self.rng
        steps: list[tuple[float, Callable[[], None]]] = [(0.0, partial(self.request, plan))]
        fate = plan.fate

        def add(days: float, action: Callable, *args) -> float:
            steps.append((days, partial(action, plan, *args)))
            return days

        if fate == "rejected":
            add(rng.uniform(0.3, 1.5), self.reject)
        elif fate == "cancelled":
            add(rng.uniform(0.1, 3), self.cancel)
        elif fate == "expired":
            add(14 + rng.uniform(0.02, 0.5), self.expire)
        elif fate in ("in_transit", "refunded", "closed", "credited", "exchanged"):
            t = add(rng.uniform(0.3, 2.5), self.scan, "picked_up", 1)
            if fate == "in_transit":
                add(t + rng.uniform(0.3, 1), self.scan, "in_transit", 2)
            else:
                add(t + rng.uniform(0.3, 1), self.scan, "in_transit", 2)
                t = add(t + rng.uniform(1.5, 3.5), self.receive)
                if fate == "closed" or (fate != "refunded" and rng.random() < 0.5):
                    t = add(t + rng.uniform(0.2, 1.5), self.inspect)
                if fate == "closed":
                    add(t + rng.uniform(0.5, 2), self.close)
                if fate == "exchanged":
                    t = add(t + rng.uniform(0.3, 1.5), self.ship_exchange)
                    add(t + rng.uniform(2, 4), self.deliver_exchange)
        horizon = (self.now - LATEST - plan.requested_at).total_seconds() / 86400
        last = max(days for days, _ in steps)
        if fate != "expired" and last > horizon > 0:
            steps = [(days * horizon / last, action) for days, action in steps]
        return [(days, action) for days, action in steps if days <= max(horizon, 0)]

    # --- running ------------------------------------------------------------------------------

    def run(self, plans: list[Plan]) -> None:
        """Every plan's steps in time order, a few dozen per transaction (money moved on
        commit moves at that step's time, give or take the batch)."""
        queue = [
            (plan.requested_at + timedelta(days=days), index, position, action)
            for index, plan in enumerate(plans)
            for position, (days, action) in enumerate(plan.steps)
        ]
        heapq.heapify(queue)
        while queue:
            with transaction.atomic():
                for _ in range(STEPS_PER_TRANSACTION):
                    if not queue:
                        break
                    at, index, _position, action = heapq.heappop(queue)
                    self.clock.at = at
                    try:
                        action()
                    except DomainError as exc:
                        plan = plans[index]
                        details = "; ".join(e.get("code", "") for e in exc.errors)
                        self.refused.append(
                            f"{plan.fate} return of order {plan.order.number}: "
                            f"{exc.code}: {exc.message} {details}".rstrip()
                        )

    def customer(self, order: Order) -> Actor:
        return Actor(kind=ActorKind.CUSTOMER, label=order.email, customer_id=order.customer_id)

    def request(self, plan: Plan) -> None:
        photos = None
        if plan.reason in ("damaged", "defective"):
            photos = {
                line.order_line_id: [SimpleUploadedFile("photo.png", PHOTO, "image/png")]
                for line in plan.lines
            }
        actor = self.customer(plan.order) if plan.via == RequestedVia.PORTAL else self.agent
        plan.return_request = requests.request_return(
            order=plan.order,
            lines=plan.lines,
            resolution=plan.resolution,
            actor=actor,
            via=plan.via,
            is_withdrawal=plan.is_withdrawal,
            note=plan.lines[0].comment if plan.via == RequestedVia.CONSOLE else "",
            photos=photos,
        )
        self.touched_orders.add(plan.order.number)

    def reject(self, plan: Plan) -> None:
        transitions.reject_return(
            return_request=plan.return_request,
            actor=self.supervisor,
            reason=self.rng.choice(demo.REJECTION_REASONS),
        )

    def cancel(self, plan: Plan) -> None:
        transitions.cancel_return(
            return_request=plan.return_request,
            actor=self.customer(plan.order),
            reason=self.rng.choice(demo.CANCEL_REASONS),
        )

    def expire(self, plan: Plan) -> None:
        transitions.expire_returns(now=self.clock.at)

    def scan(self, plan: Plan, status: str, sequence: int) -> None:
        r = ReturnRequest.objects.get(pk=plan.return_request.pk)
        if not r.tracking_number:
            return
        receiving.record_return_scan(
            tracking_number=r.tracking_number,
            status=status,
            occurred_at=self.clock.at,
            actor=self.scanner,
            carrier_event_id=f"{r.tracking_number}-{sequence}",
            location=(
                f"{plan.order.shipping_address.get('city', '')}, "
                f"{plan.order.shipping_address.get('region', '')}"
                if sequence == 1
                else self.rng.choice(RETURN_CARRIER_LOCATIONS)
            ),
            description="Picked up" if status == "picked_up" else "In transit to the warehouse",
        )

    def receive(self, plan: Plan) -> None:
        r = ReturnRequest.objects.get(pk=plan.return_request.pk)
        if r.status not in (ReturnStatus.APPROVED, ReturnStatus.IN_TRANSIT):
            return
        condition = {
            "damaged": ItemCondition.DAMAGED,
            "defective": ItemCondition.DAMAGED,
            "wrong_item": ItemCondition.AS_NEW,
        }.get(plan.reason)
        lines = [
            (
                line.pk,
                line.quantity,
                condition
                or self.rng.choices([ItemCondition.AS_NEW, ItemCondition.OPENED], [3, 1])[0],
            )
            for line in r.lines.all()
        ]
        receiving.receive_return(return_request=r, lines=lines, actor=self.warehouse)

    def inspect(self, plan: Plan) -> None:
        r = ReturnRequest.objects.get(pk=plan.return_request.pk)
        dispositions = []
        for line in r.lines.all():
            if line.quantity_received == 0:
                continue
            if line.condition == ItemCondition.DAMAGED:
                disposition = self.rng.choice([Disposition.DAMAGED, Disposition.SCRAP])
            else:
                disposition = Disposition.RESTOCK
            dispositions.append((line.pk, disposition))
        if dispositions:
            receiving.inspect_return(return_request=r, lines=dispositions, actor=self.warehouse)

    def close(self, plan: Plan) -> None:
        r = ReturnRequest.objects.get(pk=plan.return_request.pk)
        if r.can_transition_to(ReturnStatus.CLOSED):
            transitions.close_return(return_request=r, actor=self.warehouse)

    def exchange_order(self, plan: Plan) -> Order | None:
        r = ReturnRequest.objects.select_related("exchange_order").get(pk=plan.return_request.pk)
        return r.exchange_order

    def ship_exchange(self, plan: Plan) -> None:
        exchange = self.exchange_order(plan)
        if exchange is None or exchange.status != Order.Status.CONFIRMED:
            return
        self.touched_orders.add(exchange.number)
        ship_order(exchange, rng=self.rng, actor=Actor.system("wms"))

    def deliver_exchange(self, plan: Plan) -> None:
        exchange = self.exchange_order(plan)
        if exchange is not None:
            deliver_order(exchange, at=self.clock.at, actor=self.carrier_hub)


def ship_order(order: Order, *, rng: random.Random, actor: Actor) -> None:
    """Hand every parcel of the order to a carrier, with its first scan."""
    for shipment in order.shipments.filter(status__in=["pending", "picking", "packed"]):
        carrier = store.pick_carrier(rng)
        shipment = ship_shipment(
            shipment=shipment,
            carrier=carrier,
            tracking_number=store.tracking_number(rng, carrier),
            service="Ground",
            actor=actor,
        )
        record_tracking_event(
            carrier=carrier,
            tracking_number=shipment.tracking_number,
            carrier_event_id=f"{shipment.tracking_number}-1",
            status="picked_up",
            occurred_at=shipment.shipped_at,
            location=f"{shipment.warehouse.city}, {shipment.warehouse.region}",
            description="Picked up by carrier",
            actor=Actor.system(f"{carrier} tracking"),
        )


def deliver_order(order: Order, *, at: datetime, actor: Actor) -> None:
    address = order.shipping_address
    for shipment in order.shipments.filter(status__in=["shipped", "in_transit"]):
        record_tracking_event(
            carrier=shipment.carrier,
            tracking_number=shipment.tracking_number,
            carrier_event_id=f"{shipment.tracking_number}-9",
            status="delivered",
            occurred_at=at,
            location=f"{address.get('city', '')}, {address.get('region', '')}",
            description="Delivered, handed to resident",
            actor=actor,
        )


# --- customers abroad ---------------------------------------------------------------------------


def seed_abroad(
    *, rng: random.Random, clock: SimulatedClock, now: datetime, simulation: ReturnsSimulation
) -> list[Plan]:
    """Orders for the demo's customers in Brazil and the EU (created once), delivered recently,
    and the withdrawal plans for those who withdraw."""
    plans = []
    sellable = list(
        Variant.objects.filter(
            is_active=True,
            is_final_sale=False,
            stock__on_hand__gt=F("stock__allocated") + 5,
        )
        .distinct()
        .order_by("pk")
    )
    for seed in demo.ABROAD:
        if Order.objects.filter(email=seed.email).exists():
            continue
        delivered_at = now - timedelta(days=seed.delivered_days_ago)
        placed_at = delivered_at - timedelta(days=rng.uniform(4, 6))
        clock.at = placed_at
        with transaction.atomic():
            order = place_order(
                data=OrderInput(
                    channel=Order.Channel.WEB,
                    customer=CustomerInput(
                        email=seed.email,
                        name=seed.name,
                        phone=seed.phone,
                        locale=seed.locale,
                        country=seed.country,
                    ),
                    shipping_address=seed.address,
                    lines=[
                        LineInput(sku=variant.sku, quantity=1)
                        for variant in rng.sample(sellable, seed.skus)
                    ],
                    shipping_method="express",
                    shipping_price=Decimal("24.95"),
                    currency=store.CURRENCY,
                    external_reference=f"SF-INT-{seed.country}-{rng.randint(1000, 9999)}",
                    payment=PaymentInput(gateway="sandbox", token="tok_4242424242424242"),
                ),
                actor=Actor.system("storefront"),
            )
        simulation.touched_orders.add(order.number)
        clock.at = placed_at + timedelta(hours=rng.uniform(4, 20))
        with transaction.atomic():  # the capture runs on commit, at the shipping time
            ship_order(order, rng=rng, actor=Actor.system("wms"))
        clock.at = delivered_at
        with transaction.atomic():
            deliver_order(order, at=delivered_at, actor=simulation.carrier_hub)
        if seed.withdrawn_days_ago is None:
            continue
        order = Order.objects.get(pk=order.pk)
        requested_at = now - timedelta(days=seed.withdrawn_days_ago)
        lines = [
            RequestedLine(order_line_id=line.pk, quantity=line.quantity_shipped)
            for line in order.lines.all()
        ]
        plan = Plan(
            order=order,
            fate=seed.fate,
            requested_at=requested_at,
            lines=lines,
            resolution=Resolution.REFUND,
            reason="withdrawal",
            via=RequestedVia.PORTAL,
            is_withdrawal=True,
        )
        plan.steps = simulation.schedule(plan)
        plans.append(plan)
    return plans


# --- the entry point ------------------------------------------------------------------------------


def delivered_orders():
    return (
        Order.objects.filter(status=Order.Status.DELIVERED, shipping_address__country="US")
        .exclude(channel=Order.Channel.EXCHANGE)
        .annotate(delivered_at=Max("shipments__delivered_at"))
        .filter(delivered_at__isnull=False)
    )


def delivered_orders_without_returns() -> list[Order]:
    return list(
        delivered_orders().filter(returns__isnull=True).prefetch_related("lines").order_by("pk")
    )


def seed_returns(*, clock: SimulatedClock, now: datetime, users, stdout) -> str:
    """The demo's returns (see the module docstring); writes a summary and where to try the
    returns portal to `stdout`, and returns the summary."""
    started = time.monotonic()
    ensure_policy()
    pending_before = set(
        OutboxMessage.objects.filter(dispatched_at__isnull=True).values_list("pk", flat=True)
    )
    # The store's own delivered orders: not the exchange orders nor the orders abroad that
    # the demo adds, so a second run finds the same target and adds nothing.
    delivered = delivered_orders().count()
    existing = ReturnRequest.objects.filter(is_withdrawal=False).count()
    wanted = max(demo.MIN_RETURNS, round(demo.RETURN_SHARE * delivered)) - existing
    rng = random.Random(f"{SEED}:{SEED_SALT}:{existing}")
    simulation = ReturnsSimulation(rng=rng, clock=clock, now=now, users=users)
    plans = seed_abroad(rng=rng, clock=clock, now=now, simulation=simulation)
    if wanted > 0:
        plans += simulation.plans(delivered_orders_without_returns(), wanted)
    simulation.run(plans)
    OutboxMessage.objects.filter(dispatched_at__isnull=True).exclude(pk__in=pending_before).update(
        dispatched_at=F("created_at")
    )
    for refusal in simulation.refused:
        stdout.write(f"  refused: {refusal}")
    summary = summarise(time.monotonic() - started)
    stdout.write(f"Returns: {summary}")
    for line in portal_hints():
        stdout.write(f"  {line}")
    return summary


def summarise(seconds: float) -> str:
    counts: dict[str, int] = {}
    for status in ReturnRequest.objects.values_list("status", flat=True):
        counts[status] = counts.get(status, 0) + 1
    by_status = ", ".join(
        f"{status} {counts[status]}" for status in ReturnStatus.values if counts.get(status)
    )
    withdrawals = ReturnRequest.objects.filter(is_withdrawal=True).count()
    return (
        f"{sum(counts.values())} ({by_status}; {withdrawals} statutory withdrawals) "
        f"in {seconds:.1f} s"
    )


def portal_hints() -> list[str]:
    """Orders to try the returns portal with (/returns/: order number and email, then the
    code that the console email backend prints)."""
    hints = []
    fresh = delivered_orders().filter(returns__isnull=True).order_by("-delivered_at").first()
    if fresh is not None:
        hints.append(f"Returns portal: order {fresh.number} / {fresh.email} (nothing returned)")
    shipped = (
        ReturnRequest.objects.filter(status=ReturnStatus.IN_TRANSIT, is_withdrawal=False)
        .select_related("order")
        .order_by("-pk")
        .first()
    )
    if shipped is not None:
        hints.append(
            f"Return in transit: order {shipped.order.number} / {shipped.order.email} "
            f"({shipped.rma})"
        )
    customer = Customer.objects.filter(email=demo.ABROAD[1].email).first()
    order = customer and Order.objects.filter(customer=customer).order_by("-pk").first()
    if order is not None:
        hints.append(f"Statutory withdrawal (Brazil, 7 days): order {order.number} / {order.email}")
    return hints
