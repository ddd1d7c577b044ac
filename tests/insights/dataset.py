"""A small, hand-built data set for the measures: every number the insights tests expect can
be worked out on paper from this page. All of it happens in March 2026 (store time zone UTC)
unless said otherwise; `MARCH` is the period the tests read.

Warehouses EAST ("East DC") and WEST ("West DC"); carriers ups and fedex; products tee
(TEE-M, 20.00) and mug (MUG-1, 10.00); USD unless said.

Orders (created; channel web unless said; destination; lines) and their shipments (warehouse,
carrier, shipped, promised, delivered):

  O0  ana  Feb 20  US-NY  teex1       S0  EAST ups   Feb 25  Mar 3   Mar 2           on time
  O1  ana  Mar 1   US-NY  teex2       S1  EAST ups   Mar 2   Mar 5   Mar 4           on time
  O2  bob  Mar 1   US-CA  teex1 mugx1 S2  EAST ups   Mar 2   Mar 5   Mar 7           late, delayed
  O3  cai  Mar 2   US-NY  mugx2 (marketplace)
                                      S3  WEST fedex Mar 3   Mar 6   Mar 8           exception
                                                                                     scan, delayed
  O4  dee  Mar 3   BR-SP  teex1 mugx1 S4a EAST ups   Mar 3   Mar 6   Mar 7 02:00 UTC late (on
                                                                     time in New York)
                                      S4b WEST fedex Mar 4   Mar 7   —               in flight
  O5  eve  Mar 20  US-NY  teex1       S5  WEST  not shipped
  O6  ana  Mar 25  US-NY  teex1       S6  EAST  not shipped
  O7  bob  Mar 10  US-CA  mugx1 at 0 (replacement of O2)
                                      S7  WEST ups   Mar 11  Mar 14  Mar 13          on time
  O8  cai  Mar 15  BR-SP  teex1 (BRL, 20.00)
                                      S8  EAST fedex Mar 16  Mar 20  Mar 18          on time

Orders placed in March: O1-O8 (8). First shipments: O1 S1, O2 S2, O3 S3, O4 S4a, O5 S5,
O6 S6, O7 S7, O8 S8 → EAST: O1 O2 O4 O6 O8 (5), WEST: O3 O5 O7 (3).
Shipped in March: S1 S2 S3 S4a S4b S7 S8 (7). In flight in March: those and S0 (8).
Delivered in March with a promise: S0 S1 S2 S3 S4a S7 S8 (7); on time (UTC): S0 S1 S7 S8.

Cases (customer, order, shipment, reason, opened, resolved, contacts, CSAT):

  C1  ana  O1  —    wismo            Mar 3   Mar 3   1  5    FCR yes
  C2  bob  O2  S2   delay            Mar 6   Mar 8   2  2    FCR no (second contact Mar 7)
  C3  cai  O3  —    wismo            Mar 5   Mar 5   1  4    FCR no (C4: same order, 4 days)
  C4  cai  O3  —    damaged          Mar 9   Mar 9   1  3    FCR yes
  C5  dee  O4  S4b  wismo            Mar 10  open    1  —
  C6  eve  —   —    product_question Mar 12  Mar 12  1  —    FCR yes
  C7  ana  —   —    billing_refund   Feb 25  Mar 2   2  —    (its second contact: Mar 2)

Contacts in March: C1-C6 opened (6) + further contacts of C2 and C7 (2) = 8. Attributed:
C1 S1, C2 S2 (twice), C3 S3, C4 S3, C5 S4b, C6 and C7's contact none.

Returns (order, line, units, reason, resolution, status, money):

  R1  O1  tee  1  size_too_small  refund        refunded  refund 20.00 (Mar 12)
  R2  O2  mug  1  damaged         exchange      exchanged —
  R3  O3  mug  1  damaged         store_credit  credited  store credit 10.00 + bonus 1.00
  R4  O4  tee  1  size_too_large  refund        cancelled —

Adjustments: O2 price adjustment 2.50 (Mar 8), O3 goodwill credit 5.00 (Mar 9), O8 goodwill
credit 7.00 BRL (Mar 17). Reship: O7 (mugx1, worth O2's mug price 10.00).
"""

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from insights.measures import Period
from orders.models import (
    Customer,
    Order,
    OrderAdjustment,
    OrderLine,
    Product,
    Shipment,
    ShipmentLine,
    TrackingEvent,
    Variant,
    Warehouse,
)
from returns.models import ReturnLine, ReturnRefund, ReturnRequest
from support.models import Case, CaseEvent

MARCH = Period.for_days(dt.date(2026, 3, 1), dt.date(2026, 3, 31))
ACTOR = {"actor_kind": "system", "actor_label": "tests"}
US_NY = {
    "name": "N",
    "line1": "1 Main St",
    "city": "New York",
    "region": "NY",
    "postal_code": "10001",
    "country": "US",
}
US_CA = {**US_NY, "city": "Los Angeles", "region": "CA", "postal_code": "90001"}
BR_SP = {**US_NY, "city": "São Paulo", "region": "SP", "postal_code": "01305-000", "country": "BR"}


def at(month: int, day: int, hour: int = 12, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, minute, tzinfo=dt.UTC)


@dataclass
class Dataset:
    copy: int
    orders: dict[str, Order] = field(default_factory=dict)
    shipments: dict[str, Shipment] = field(default_factory=dict)
    lines: dict[tuple[str, str], OrderLine] = field(default_factory=dict)
    cases: dict[str, Case] = field(default_factory=dict)
    returns: dict[str, ReturnRequest] = field(default_factory=dict)
    customers: dict[str, Customer] = field(default_factory=dict)

    def name(self, base: str) -> str:
        return base if self.copy == 0 else f"{base}-{self.copy}"

    # --- catalogue --------------------------------------------------------------------------

    def catalogue(self) -> None:
        self.east, _ = Warehouse.objects.get_or_create(
            code="EAST", defaults={"name": "East DC", "region": "NJ", "priority": 10}
        )
        self.west, _ = Warehouse.objects.get_or_create(
            code="WEST", defaults={"name": "West DC", "region": "NV", "priority": 20}
        )
        tee, _ = Product.objects.get_or_create(slug="tee", defaults={"name": "Tee"})
        mug, _ = Product.objects.get_or_create(slug="mug", defaults={"name": "Mug"})
        self.variants = {
            "tee": Variant.objects.get_or_create(
                sku="TEE-M",
                defaults={"product": tee, "name": "Tee / M", "price": "20.00", "currency": "USD"},
            )[0],
            "mug": Variant.objects.get_or_create(
                sku="MUG-1",
                defaults={"product": mug, "name": "Mug", "price": "10.00", "currency": "USD"},
            )[0],
        }
        for person in ("ana", "bob", "cai", "dee", "eve"):
            self.customers[person] = Customer.objects.create(
                name=person.title(), email=f"{self.name(person)}@example.com"
            )

    # --- orders -----------------------------------------------------------------------------

    def order(
        self,
        ref: str,
        person: str,
        created: dt.datetime,
        address: dict,
        lines: list[tuple[str, int]],
        *,
        channel: str = "web",
        currency: str = "USD",
        free: bool = False,
        original: str | None = None,
        status: str = Order.Status.PROCESSING,
    ) -> Order:
        prices = {"tee": Decimal("20.00"), "mug": Decimal("10.00")}
        subtotal = sum((0 if free else prices[p]) * q for p, q in lines)
        customer = self.customers[person]
        order = Order.objects.create(
            number=self.name(ref),
            channel=channel,
            status=status,
            customer=customer,
            email=customer.email,
            shipping_address=address,
            billing_address=address,
            shipping_method="standard",
            currency=currency,
            shipping_price=0,
            subtotal=subtotal,
            discount_total=0,
            shipping_total=0,
            total=subtotal,
            placed_by_kind="system",
            placed_by_label="tests",
            original_order=self.orders[original] if original else None,
        )
        Order.objects.filter(pk=order.pk).update(created_at=created)
        for number, (product, quantity) in enumerate(lines, start=1):
            variant = self.variants[product]
            self.lines[ref, product] = OrderLine.objects.create(
                order=order,
                line_number=number,
                variant=variant,
                sku=variant.sku,
                name=variant.name,
                quantity=quantity,
                unit_price=0 if free else prices[product],
            )
        self.orders[ref] = order
        return order

    def shipment(
        self,
        ref: str,
        order: str,
        warehouse: Warehouse,
        products: list[str],
        *,
        carrier: str = "",
        shipped: dt.datetime | None = None,
        promised: dt.date | None = None,
        delivered: dt.datetime | None = None,
        delayed: dt.datetime | None = None,
        delay_reason: str = "",
    ) -> Shipment:
        status = "delivered" if delivered else "in_transit" if shipped else "pending"
        shipment = Shipment.objects.create(
            order=self.orders[order],
            warehouse=warehouse,
            number=self.name(ref),
            status=status,
            carrier=carrier,
            tracking_number=self.name(f"TRK-{ref}") if shipped else "",
            promised_delivery_date=promised,
            shipped_at=shipped,
            delivered_at=delivered,
            delayed_at=delayed,
            delay_reason=delay_reason,
        )
        for product in products:
            line = self.lines[order, product]
            ShipmentLine.objects.create(shipment=shipment, line=line, quantity=line.quantity)
            if shipped:
                OrderLine.objects.filter(pk=line.pk).update(quantity_shipped=line.quantity)
        self.shipments[ref] = shipment
        return shipment

    def case(
        self,
        ref: str,
        person: str,
        *,
        order: str | None,
        shipment: str | None = None,
        reason: str,
        opened: dt.datetime,
        resolved: dt.datetime | None = None,
        csat: int | None = None,
        again: dt.datetime | None = None,
    ) -> Case:
        case = Case.objects.create(
            customer=self.customers[person],
            order=self.orders[order] if order else None,
            shipment=self.shipments[shipment] if shipment else None,
            channel="phone",
            reason=reason,
            subject=ref,
            status="resolved" if resolved else "open",
            contact_count=2 if again else 1,
            opened_at=opened,
            last_contact_at=again or opened,
            resolved_at=resolved,
            csat_score=csat,
        )
        opened_event = CaseEvent.objects.create(case=case, type="opened", **ACTOR)
        CaseEvent.objects.filter(pk=opened_event.pk).update(created_at=opened)
        if again:
            contact = CaseEvent.objects.create(case=case, type="contact", **ACTOR)
            CaseEvent.objects.filter(pk=contact.pk).update(created_at=again)
        self.cases[ref] = case
        return case

    def return_request(
        self,
        ref: str,
        order: str,
        product: str,
        *,
        reason: str,
        resolution: str,
        status: str,
        created: dt.datetime,
        money: list[tuple[str, str]] = (),
    ) -> ReturnRequest:
        source = self.orders[order]
        request = ReturnRequest.objects.create(
            rma=self.name(f"RMA-{ref}"),
            order=source,
            customer=source.customer,
            status=status,
            resolution=resolution,
            requested_via="console",
            refund_release="receipt",
            currency=source.currency,
            **ACTOR,
        )
        ReturnRequest.objects.filter(pk=request.pk).update(created_at=created)
        line = self.lines[order, product]
        ReturnLine.objects.create(
            return_request=request,
            order_line=line,
            quantity=1,
            reason=reason,
            unit_amount=line.unit_price,
        )
        for number, (kind, amount) in enumerate(money):
            refund = ReturnRefund.objects.create(
                return_request=request,
                kind=kind,
                amount=Decimal(amount),
                reference=self.name(f"{ref}-{number}"),
                **ACTOR,
            )
            ReturnRefund.objects.filter(pk=refund.pk).update(created_at=created)
        self.returns[ref] = request
        return request

    def adjustment(self, order: str, kind: str, amount: str, created: dt.datetime) -> None:
        adjustment = OrderAdjustment.objects.create(
            order=self.orders[order],
            kind=kind,
            amount=Decimal(amount),
            reason_code="service_recovery",
            note="tests",
            **ACTOR,
        )
        OrderAdjustment.objects.filter(pk=adjustment.pk).update(created_at=created)


def build(copy: int = 0) -> Dataset:
    """The data set described above (`copy` > 0 builds another one alongside, with its own
    customers and numbers, for the query-count tests)."""
    d = Dataset(copy=copy)
    d.catalogue()
    east, west = d.east, d.west
    delivered = Order.Status.DELIVERED
    d.order("O0", "ana", at(2, 20), US_NY, [("tee", 1)], status=delivered)
    d.shipment(
        "S0",
        "O0",
        east,
        ["tee"],
        carrier="ups",
        shipped=at(2, 25),
        promised=dt.date(2026, 3, 3),
        delivered=at(3, 2),
    )
    d.order("O1", "ana", at(3, 1), US_NY, [("tee", 2)], status=delivered)
    d.shipment(
        "S1",
        "O1",
        east,
        ["tee"],
        carrier="ups",
        shipped=at(3, 2),
        promised=dt.date(2026, 3, 5),
        delivered=at(3, 4),
    )
    d.order("O2", "bob", at(3, 1), US_CA, [("tee", 1), ("mug", 1)], status=delivered)
    d.shipment(
        "S2",
        "O2",
        east,
        ["tee", "mug"],
        carrier="ups",
        shipped=at(3, 2),
        promised=dt.date(2026, 3, 5),
        delivered=at(3, 7),
        delayed=at(3, 6),
        delay_reason="late",
    )
    d.order("O3", "cai", at(3, 2), US_NY, [("mug", 2)], channel="marketplace", status=delivered)
    d.shipment(
        "S3",
        "O3",
        west,
        ["mug"],
        carrier="fedex",
        shipped=at(3, 3),
        promised=dt.date(2026, 3, 6),
        delivered=at(3, 8),
        delayed=at(3, 5),
        delay_reason="exception",
    )
    TrackingEvent.objects.create(
        shipment=d.shipments["S3"],
        carrier="fedex",
        carrier_event_id=d.name("S3-x"),
        status="exception",
        occurred_at=at(3, 5),
        applied_at=at(3, 5),
        **ACTOR,
    )
    TrackingEvent.objects.create(
        shipment=d.shipments["S2"],
        carrier="ups",
        carrier_event_id=d.name("S2-t"),
        status="in_transit",
        occurred_at=at(3, 3),
        applied_at=at(3, 3),
        **ACTOR,
    )
    d.order(
        "O4",
        "dee",
        at(3, 3),
        BR_SP,
        [("tee", 1), ("mug", 1)],
        status=Order.Status.PARTIALLY_DELIVERED,
    )
    d.shipment(
        "S4a",
        "O4",
        east,
        ["tee"],
        carrier="ups",
        shipped=at(3, 3),
        promised=dt.date(2026, 3, 6),
        delivered=at(3, 7, 2),
    )
    d.shipment(
        "S4b", "O4", west, ["mug"], carrier="fedex", shipped=at(3, 4), promised=dt.date(2026, 3, 7)
    )
    d.order("O5", "eve", at(3, 20), US_NY, [("tee", 1)])
    d.shipment("S5", "O5", west, ["tee"])
    d.order("O6", "ana", at(3, 25), US_NY, [("tee", 1)])
    d.shipment("S6", "O6", east, ["tee"])
    d.order(
        "O7",
        "bob",
        at(3, 10),
        US_CA,
        [("mug", 1)],
        channel="replacement",
        free=True,
        original="O2",
        status=delivered,
    )
    d.shipment(
        "S7",
        "O7",
        west,
        ["mug"],
        carrier="ups",
        shipped=at(3, 11),
        promised=dt.date(2026, 3, 14),
        delivered=at(3, 13),
    )
    d.order("O8", "cai", at(3, 15), BR_SP, [("tee", 1)], currency="BRL", status=delivered)
    d.shipment(
        "S8",
        "O8",
        east,
        ["tee"],
        carrier="fedex",
        shipped=at(3, 16),
        promised=dt.date(2026, 3, 20),
        delivered=at(3, 18),
    )

    d.case(
        "C1", "ana", order="O1", reason="wismo", opened=at(3, 3, 9), resolved=at(3, 3, 10), csat=5
    )
    d.case(
        "C2",
        "bob",
        order="O2",
        shipment="S2",
        reason="delay",
        opened=at(3, 6),
        resolved=at(3, 8),
        csat=2,
        again=at(3, 7),
    )
    d.case(
        "C3", "cai", order="O3", reason="wismo", opened=at(3, 5, 9), resolved=at(3, 5, 10), csat=4
    )
    d.case(
        "C4", "cai", order="O3", reason="damaged", opened=at(3, 9, 9), resolved=at(3, 9, 10), csat=3
    )
    d.case("C5", "dee", order="O4", shipment="S4b", reason="wismo", opened=at(3, 10))
    d.case(
        "C6",
        "eve",
        order=None,
        reason="product_question",
        opened=at(3, 12, 9),
        resolved=at(3, 12, 10),
    )
    d.case(
        "C7",
        "ana",
        order=None,
        reason="billing_refund",
        opened=at(2, 25),
        resolved=at(3, 2, 10),
        again=at(3, 2, 9),
    )

    d.return_request(
        "R1",
        "O1",
        "tee",
        reason="size_too_small",
        resolution="refund",
        status="refunded",
        created=at(3, 12),
        money=[("refund", "20.00")],
    )
    d.return_request(
        "R2",
        "O2",
        "mug",
        reason="damaged",
        resolution="exchange",
        status="exchanged",
        created=at(3, 9),
    )
    d.return_request(
        "R3",
        "O3",
        "mug",
        reason="damaged",
        resolution="store_credit",
        status="credited",
        created=at(3, 10),
        money=[("store_credit", "10.00"), ("bonus", "1.00")],
    )
    d.return_request(
        "R4",
        "O4",
        "tee",
        reason="size_too_large",
        resolution="refund",
        status="cancelled",
        created=at(3, 11),
    )
    d.adjustment("O2", "price_adjustment", "2.50", at(3, 8))
    d.adjustment("O3", "goodwill_credit", "5.00", at(3, 9))
    d.adjustment("O8", "goodwill_credit", "7.00", at(3, 17))
    return d
