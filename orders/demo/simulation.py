"""Two months of trading on a simulated clock: orders placed, held, cancelled, split, shipped
and scanned by the real services, so every invariant holds."""

import heapq
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from functools import partial
from itertools import accumulate

from django.db import transaction
from django.db.models import Sum

from oms.actors import Actor
from oms.exceptions import DomainError, InsufficientStock, PaymentFailed
from orders.demo import data as demo
from orders.demo.setup import mark_history_dispatched
from orders.models import Customer, Order, Shipment, Stock, Variant
from orders.services import (
    CustomerInput,
    LineInput,
    OrderInput,
    PaymentInput,
    adjust_stock,
    advance_shipment,
    cancel_lines,
    cancel_order,
    hold_order,
    place_order,
    record_tracking_event,
    release_order,
    ship_shipment,
    split_shipment,
)

SEED = 42
DEFAULT_ORDERS = 2000
QUICK_ORDERS = 150
# (username, password, group, superuser). Demo only: printed on every run.
APPROVED_CARDS = ("4242424242424242", "4242424242424242", "5555555555554444", "378282246310005")
DECLINED_CARD = "4000000000000002"
OS = Order.Status
# Fate of an order at the end of the simulation: (share of orders, age range in days).
# Delivered takes whatever the others leave.
FATES = {
    "pending_payment": (0.01, (0.02, 0.3)),
    "confirmed": (0.025, (0.02, 0.6)),
    "processing": (0.03, (0.2, 1.2)),
    "on_hold": (0.025, (0.1, 6)),
    "partially_shipped": (0.02, (1, 4)),
    "shipped": (0.08, (1, 5)),
    "partially_delivered": (0.02, (3, 8)),
    "declined": (0.04, (0.1, 60)),
    "cancelled": (0.04, (0.1, 60)),
    "lines_cancelled": (0.01, (0.1, 60)),
    "delivered": (0.0, (3, 60)),
}
SPLIT_FATES = ("partially_shipped", "partially_delivered")
# Share of orders of a fate that are held for a while first (cancelled: fraud reviews).
HELD_SHARE = {"delivered": 0.03, "cancelled": 0.3}
LOW_STOCK = 5  # SKUs with this many units or fewer are left unsold
DETAILED_DAYS = 10  # orders this recent get every warehouse step and carrier scan
PROGRESS_EVERY = 250


@dataclass
class Plan:
    """What happens to one order; the simulation plays it out through the services."""

    index: int
    fate: str
    placed_at: datetime
    customer: Customer
    address: dict
    channel: str
    method: str
    held: bool = False
    line_cancelled: bool = False
    # Filled in while the order is played out.
    order: Order | None = None
    parcels: list[Shipment] = field(default_factory=list)
    tracking: dict[int, tuple[str, str, list[str]]] = field(default_factory=dict)


class StoreSimulation:
    """Plays order plans out through the services, in time order on the simulated clock: each
    order is a generator that acts, then yields the time it acts next (a discrete-event loop),
    so ids, stock levels and timestamps all move forward together as in a real store."""

    def __init__(self, *, rng, clock, now, customers, users, client, stdout) -> None:
        self.rng, self.clock, self.now, self.stdout = rng, clock, now, stdout
        self.customers = customers
        self.customer_weights = [4 if rng.random() < 0.25 else 1 for _ in customers]
        self.actors = {
            "storefront": Actor.system("storefront"),
            "marketplace": Actor.system("marketplace"),
            "wms": Actor.system("wms"),
            "agent": Actor.for_user(users["agent"]),
            "supervisor": Actor.for_user(users["supervisor"]),
            "api": Actor.for_api_client(client) if client is not None else None,
        }
        self.variants, self.variant_weights = self._sellable_variants()
        self.order_numbers: list[str] = []
        self.stock_keys: set[str] = set()
        self.refused: list[str] = []
        self.started = time.monotonic()
        self.total = 0
        self.shipped = False

    def _sellable_variants(self) -> tuple[list[Variant], list[float]]:
        """Variants a shopper can buy: demo SKUs with stock. Nearly sold-out ones are left alone
        so the console shows some low and out-of-stock SKUs."""
        seeds = {
            demo.sku_for(product, colour, size): (product, size)
            for product in demo.PRODUCTS
            for colour in product.colours
            for size in product.sizes
        }
        on_hand = dict(
            Stock.objects.values("variant_id")
            .annotate(units=Sum("on_hand"))
            .values_list("variant_id", "units")
        )
        variants, weights = [], []
        for variant in Variant.objects.filter(sku__in=seeds, is_active=True).order_by("pk"):
            if on_hand.get(variant.pk, 0) > LOW_STOCK:
                product, size = seeds[variant.sku]
                variants.append(variant)
                weights.append(product.popularity * demo.size_weight(product, size))
        return variants, list(accumulate(weights))

    # --- planning -------------------------------------------------------------------------

    def plans(self, count: int, *, first_index: int) -> list[Plan]:
        rng = self.rng
        fates = [
            fate
            for fate, (share, _) in FATES.items()
            if share
            for _ in range(max(1, round(share * count)))
        ]
        fates += ["delivered"] * max(0, count - len(fates))
        rng.shuffle(fates)
        plans = []
        for fate in fates[:count]:
            low, high = FATES[fate][1]
            customer, person = rng.choices(self.customers, weights=self.customer_weights)[0]
            channels = {
                "web": 66,
                "api": 14 if self.actors["api"] else 0,
                "marketplace": 12,
                "csr": 8,
            }
            if fate == "declined":
                channels.update(marketplace=0, csr=0)
            channel = (
                "csr"
                if fate == "pending_payment"
                else rng.choices(list(channels), weights=list(channels.values()))[0]
            )
            methods = demo.SHIPPING_METHODS
            plans.append(
                Plan(
                    index=0,
                    fate=fate,
                    customer=customer,
                    address=person.address,
                    channel=channel,
                    placed_at=self.now - timedelta(days=rng.uniform(low, high)),
                    method=rng.choices([m[0] for m in methods], weights=[m[1] for m in methods])[0],
                    held=fate == "on_hold" or rng.random() < HELD_SHARE.get(fate, 0),
                    line_cancelled=fate in ("delivered", "shipped") and rng.random() < 0.06,
                )
            )
        plans.sort(key=lambda plan: plan.placed_at)
        for offset, plan in enumerate(plans):
            plan.index = first_index + offset
        return plans

    def run(self, plans: list[Plan]) -> None:
        """Play every plan out. Steps share one transaction up to and including the next
        shipment: far fewer commits, and the capture that ship_shipment defers to the commit
        still happens at the shipment's time on the simulated clock (a void or refund deferred
        by an earlier cancellation in the batch happens a little later, as in a payment run)."""
        self.total = len(plans)
        queue = [(plan.placed_at, plan.index, plan, self.lifecycle(plan)) for plan in plans]
        heapq.heapify(queue)
        while queue:
            with transaction.atomic():
                self.shipped = False
                while queue and not self.shipped:
                    self.step(queue)
        mark_history_dispatched(self.order_numbers, self.stock_keys)
        for refusal in self.refused:
            self.stdout.write(f"  refused: {refusal}")

    def step(self, queue: list) -> None:
        at, index, plan, steps = heapq.heappop(queue)
        self.clock.at = at
        try:
            heapq.heappush(queue, (next(steps), index, plan, steps))
        except StopIteration:
            pass
        except DomainError as exc:  # a plan the services refuse: report it, go on
            self.refused.append(f"{plan.fate} order {plan.index}: {exc.code}: {exc.message}")

    def lifecycle(self, plan: Plan) -> Iterator[datetime]:
        plan.order = self.place(plan)
        if plan.order is None or plan.order.status != OS.CONFIRMED:
            return
        plan.parcels = list(plan.order.shipments.select_related("warehouse").order_by("pk"))
        steps = self.schedule(plan)
        # Squeeze the plan into the time since placement: nothing may happen in the future.
        horizon = (self.now - plan.placed_at).total_seconds() / 3600 - self.rng.uniform(0.05, 0.5)
        last = max((offset for offset, _ in steps), default=0.0)
        scale = min(1.0, max(horizon, 0.01) / last) if last else 1.0
        for offset, action in sorted(steps, key=lambda step: step[0]):
            yield plan.placed_at + timedelta(hours=offset * scale)
            action()

    def schedule(self, plan: Plan) -> list[tuple[float, Callable[[], None]]]:
        """The order's steps after placement, as (hours after placement, action)."""
        rng, steps, t = self.rng, [], 0.0

        def add(offset: float, action: Callable, *args) -> None:
            steps.append((offset, partial(action, plan, *args)))

        if plan.held:
            t += rng.uniform(0.1, 2)
            reasons = demo.FRAUD_HOLD_REASONS if plan.fate == "cancelled" else demo.HOLD_REASONS
            add(t, self.hold, *rng.choice(reasons))
            if plan.fate in ("on_hold", "cancelled"):
                if plan.fate == "cancelled":
                    add(
                        t + rng.uniform(1, 20),
                        self.cancel,
                        "supervisor",
                        "Fraud review: order not verified",
                    )
                return steps
            t += rng.uniform(2, 30)
            add(t, self.release)
        if plan.fate == "confirmed":
            return steps
        if plan.fate == "cancelled":
            if rng.random() < 0.3:  # the warehouse had started picking
                t += rng.uniform(1, 6)
                add(t, self.advance, 0, Shipment.Status.PICKING)
            add(t + rng.uniform(0.2, 20), self.cancel, "agent", rng.choice(demo.CANCEL_REASONS))
            return steps
        if plan.fate == "lines_cancelled":
            add(t + rng.uniform(0.2, 6), self.cancel_every_line)
            return steps
        if plan.line_cancelled and len(plan.parcels) == 1:
            t += rng.uniform(0.2, 3)
            add(t, self.cancel_one_line)
        t += rng.uniform(0.5, 4) if plan.method != "standard" else rng.uniform(1, 18)
        parcels = len(plan.parcels)
        if plan.fate in SPLIT_FATES and parcels == 1:
            add(t, self.split)  # one line is ready now, the rest follows later
            t, parcels = t + 0.1, 2
        if plan.fate == "processing":
            add(t, self.advance, 0, Shipment.Status.PICKING)
            if rng.random() < 0.4:
                add(t + rng.uniform(0.3, 2), self.advance, 0, Shipment.Status.PACKED)
            return steps
        for index in range(parcels):
            later = index and plan.fate in SPLIT_FATES
            start = t + index * (rng.uniform(30, 60) if later else rng.uniform(0, 20))
            if plan.fate == "partially_shipped" and index:
                if rng.random() < 0.5:
                    add(start, self.advance, index, Shipment.Status.PICKING)
                continue
            if plan.fate == "shipped":
                stop = rng.choice(["in_transit", "in_transit", "out_for_delivery", "exception"])
            elif plan.fate in SPLIT_FATES:
                stop = (
                    "delivered"
                    if plan.fate == "partially_delivered" and not index
                    else "in_transit"
                )
            else:
                stop = "delivered"
            self.parcel_steps(plan, index, start, stop, add)
        return steps

    def parcel_steps(self, plan: Plan, index: int, start: float, stop: str, add) -> None:
        """Pick, pack, ship, then the carrier's scans up to `stop`. Recent orders get every
        step; older history only reports the shipment and one transit scan, which saves a
        quarter of the seed's time."""
        rng = self.rng
        detailed = plan.placed_at > self.now - timedelta(days=DETAILED_DAYS)
        pack = start + rng.uniform(0.3, 3)
        ship = pack + rng.uniform(0.5, 5)
        if detailed:
            add(start, self.advance, index, Shipment.Status.PICKING)
            add(pack, self.advance, index, Shipment.Status.PACKED)
        add(ship, self.ship, index)
        low, high = demo.TRANSIT_DAYS[plan.method]
        due = ship + 24 * rng.randint(low, high)
        scans = [("picked_up", 0, ship + rng.uniform(0.5, 4))]
        scans.append(("in_transit", 1, scans[-1][2] + rng.uniform(4, 16)))
        if detailed and due - 12 > scans[-1][2] + 2:
            scans.append(("in_transit", 2, due - rng.uniform(9, 14)))
        if stop != "in_transit":
            out = self.daytime(plan, max(due - rng.uniform(2, 6), scans[-1][2] + 1))
            if stop == "exception" or rng.random() < 0.08:
                scans.append(("out_for_delivery", 2, out))
                scans.append(("exception", 2, out + rng.uniform(2, 6)))
                out = self.daytime(plan, scans[-1][2] + 12)
            if stop != "exception":
                scans.append(("out_for_delivery", 2, out))
                if stop == "delivered":
                    scans.append(("delivered", 2, out + rng.uniform(1, 7)))
        for sequence, (status, stage, offset) in enumerate(scans, start=1):
            add(offset, self.scan, index, sequence, status, stage)

    def daytime(self, plan: Plan, offset: float) -> float:
        """Move a doorstep scan into US delivery hours (13:00-23:00 UTC)."""
        at = plan.placed_at + timedelta(hours=offset)
        if 13 <= at.hour < 22:
            return offset
        days = 1 if at.hour >= 22 else 0
        start = at.replace(hour=13, minute=0) + timedelta(days=days, hours=self.rng.uniform(0, 3))
        return (start - plan.placed_at).total_seconds() / 3600

    # --- actions --------------------------------------------------------------------------

    def progress(self) -> None:
        placed = len(self.order_numbers)
        if placed % PROGRESS_EVERY == 0 or placed == self.total:
            self.stdout.write(
                f"  orders: {placed}/{self.total} ({time.monotonic() - self.started:.1f} s)"
            )

    def draw_lines(self, minimum: int) -> list[tuple[Variant, int]]:
        rng = self.rng
        count = max(minimum, rng.choices((1, 2, 3, 4), weights=(55, 28, 12, 5))[0])
        chosen: dict[str, tuple[Variant, int]] = {}
        while len(chosen) < min(count, len(self.variants)):
            variant = rng.choices(self.variants, cum_weights=self.variant_weights)[0]
            quantity = rng.choices((1, 2, 3), weights=(82, 14, 4))[0]
            chosen.setdefault(variant.sku, (variant, quantity))
        return list(chosen.values())

    def order_input(self, plan: Plan, lines: list[tuple[Variant, int]]) -> OrderInput:
        rng = self.rng
        subtotal = sum(variant.price * quantity for variant, quantity in lines)
        promo = rng.random() < 0.12  # a 10% newsletter code on the first line
        price = {m[0]: Decimal(m[2]) for m in demo.SHIPPING_METHODS}[plan.method]
        if plan.method == "standard" and subtotal >= demo.FREE_SHIPPING_FROM:
            price = Decimal(0)
        if plan.channel == "marketplace":
            payment = PaymentInput(gateway="external")
        else:
            card = DECLINED_CARD if plan.fate == "declined" else rng.choice(APPROVED_CARDS)
            payment = PaymentInput(gateway="sandbox", token=f"tok_{card}")
        reference = {
            "web": f"SF-{500000 + plan.index}",
            "api": f"SF-{500000 + plan.index}",
            "marketplace": f"MKT-{700000 + plan.index}",
        }.get(plan.channel, "")
        customer = plan.customer
        return OrderInput(
            channel=plan.channel,
            customer=CustomerInput(
                email=customer.email,
                name=customer.name,
                phone=customer.phone,
                locale=customer.locale,
            ),
            shipping_address=plan.address,
            lines=[
                LineInput(
                    sku=variant.sku,
                    quantity=quantity,
                    discount=(
                        (variant.price * quantity / 10).quantize(Decimal("0.01"))
                        if promo and number == 0
                        else Decimal(0)
                    ),
                )
                for number, (variant, quantity) in enumerate(lines)
            ],
            shipping_method=plan.method,
            shipping_price=price,
            currency=demo.CURRENCY,
            external_reference=reference,
            payment=payment,
            note="Payment link sent by email" if plan.fate == "pending_payment" else "",
        )

    def place(self, plan: Plan) -> Order | None:
        actor = self.actors[
            {"csr": "agent", "api": "api", "marketplace": "marketplace"}.get(
                plan.channel, "storefront"
            )
        ]
        lines = self.draw_lines(2 if plan.fate in SPLIT_FATES else 1)
        for _attempt in range(5):
            data = self.order_input(plan, lines)
            try:
                if plan.fate == "pending_payment":
                    order = self.place_awaiting_payment(data, actor)
                else:
                    order = place_order(data=data, actor=actor)
            except InsufficientStock as exc:
                self.restock(exc.extra["skus"])
                continue
            except PaymentFailed as exc:
                order = Order.objects.get(number=exc.extra["order_number"])
            self.order_numbers.append(order.number)
            self.progress()
            return order
        return None

    def place_awaiting_payment(self, data: OrderInput, actor: Actor) -> Order:
        """An assisted order whose customer has not paid the emailed payment link yet."""
        return place_order(data=data, actor=actor, await_payment=True)

    def restock(self, skus: list[str]) -> None:
        """A purchase order arrives at the SKU's main warehouse."""
        for sku in skus:
            stock = (
                Stock.objects.filter(variant__sku=sku)
                .select_related("warehouse")
                .order_by("warehouse__priority")
                .first()
            )
            if stock is None:
                continue
            adjust_stock(
                sku=sku,
                warehouse_code=stock.warehouse.code,
                delta=self.rng.randint(40, 80),
                actor=self.actors["wms"],
                reason=f"Purchase order PO-{self.rng.randint(10000, 99999)} received",
            )
            self.stock_keys.add(f"{stock.warehouse.code}:{sku}")

    def parcel(self, plan: Plan, index: int) -> Shipment | None:
        # The services lock and re-read the shipment by id; this copy only names it.
        return plan.parcels[index] if index < len(plan.parcels) else None

    def hold(self, plan: Plan, who: str, reason: str) -> None:
        hold_order(order=plan.order, actor=self.actors[who], reason=reason)

    def release(self, plan: Plan) -> None:
        release_order(
            order=plan.order,
            actor=self.actors["supervisor"],
            reason="Checked with the customer: OK to ship",
        )

    def cancel(self, plan: Plan, who: str, reason: str) -> None:
        cancel_order(order=plan.order, actor=self.actors[who], reason=reason)

    def cancel_every_line(self, plan: Plan) -> None:
        lines = [(line.pk, line.quantity_unshipped) for line in plan.order.lines.all()]
        cancel_lines(
            order=plan.order,
            lines=lines,
            actor=self.actors["agent"],
            reason="Customer cancelled every item by chat",
        )

    def cancel_one_line(self, plan: Plan) -> None:
        lines = list(plan.order.lines.all())
        if len(lines) > 1:
            cancel_lines(
                order=plan.order,
                lines=[(lines[-1].pk, lines[-1].quantity_unshipped)],
                actor=self.actors["agent"],
                reason=self.rng.choice(demo.LINE_CANCEL_REASONS),
            )

    def split(self, plan: Plan) -> None:
        shipment = self.parcel(plan, 0)
        lines = list(shipment.lines.order_by("line_id"))
        last = lines[-1]
        units = last.quantity if len(lines) > 1 else last.quantity // 2
        if units:
            new = split_shipment(
                order=plan.order,
                warehouse_code=shipment.warehouse.code,
                lines=[(last.line_id, units)],
                actor=self.actors["wms"],
            )
            plan.parcels.append(new)

    def advance(self, plan: Plan, index: int, status: str) -> None:
        shipment = self.parcel(plan, index)
        if shipment is not None:
            advance_shipment(shipment=shipment, status=status, actor=self.actors["wms"])

    def ship(self, plan: Plan, index: int) -> None:
        shipment = self.parcel(plan, index)
        if shipment is None:
            return
        carrier = demo.pick_carrier(self.rng)
        number = demo.tracking_number(self.rng, carrier)
        ship_shipment(
            shipment=shipment,
            carrier=carrier,
            tracking_number=number,
            service=demo.SERVICES[plan.method],
            actor=self.actors["wms"],
        )
        self.shipped = True
        destination = f"{plan.address['city']}, {plan.address['region']}"
        plan.tracking[index] = (
            carrier,
            number,
            demo.route(carrier, shipment.warehouse, destination),
        )

    def scan(self, plan: Plan, index: int, sequence: int, status: str, stage: int) -> None:
        if index not in plan.tracking:
            return
        carrier, number, stops = plan.tracking[index]
        record_tracking_event(
            carrier=carrier,
            tracking_number=number,
            carrier_event_id=f"{number}-{sequence}",
            status=status,
            occurred_at=self.clock.at,
            location=stops[stage],
            description=self.rng.choice(demo.SCAN_DESCRIPTIONS[status, stage]),
            actor=Actor.system(f"{carrier} tracking"),
        )
