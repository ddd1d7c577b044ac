"""Small hand-made stores for the early-warning tests: parcels in flight with their scans, and
customers' contacts about them, at chosen moments around a fixed clock."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from itertools import count

from oms.actors import Actor
from orders.models import Customer, Order, Shipment, TrackingEvent, Warehouse
from support.models import Case, CaseEvent

# A Thursday afternoon in the US (contact centre hours), on the hour.
NOW = datetime(2026, 10, 15, 18, tzinfo=UTC)
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)
SCANNER = Actor.system("ups tracking")
_numbers = count(1)


class AlertStore:
    """Builds orders with one shipment each, their scans and their contacts."""

    def __init__(self) -> None:
        self.warehouses = {}
        for code, priority in (("EAST", 10), ("WEST", 20)):
            self.warehouses[code], _ = Warehouse.objects.get_or_create(
                code=code,
                defaults={"name": f"{code.title()} DC", "region": "NJ", "priority": priority},
            )
        self.customer, _ = Customer.objects.get_or_create(
            email="ana@example.com", defaults={"name": "Ana Souza", "locale": "pt-br"}
        )

    def parcels(
        self,
        n: int,
        *,
        carrier: str = "ups",
        warehouse: str = "EAST",
        shipped_at: datetime | None = None,
        delivered_at: datetime | None = None,
        scan_every: timedelta | None = 12 * HOUR,
        until: datetime = NOW,
        delayed_at: datetime | None = None,
        delay_reason: str = "",
        status: str = Order.Status.SHIPPED,
    ) -> list[Shipment]:
        """`n` orders, each with one parcel handed to `carrier` at `shipped_at` (default: 20
        days before NOW, so in flight for the whole baseline) and scanned every `scan_every`
        until `until` (or its delivery)."""
        shipped_at = shipped_at or NOW - 20 * DAY
        orders = []
        for _ in range(n):
            number = f"A{next(_numbers):07d}"
            orders.append(
                Order(
                    number=number,
                    channel=Order.Channel.WEB,
                    status=status,
                    customer=self.customer,
                    email=self.customer.email,
                    locale=self.customer.locale,
                    shipping_address={"name": "Ana Souza", "city": "Newark", "country": "US"},
                    billing_address={"name": "Ana Souza", "city": "Newark", "country": "US"},
                    shipping_method=Order.ShippingMethod.STANDARD,
                    currency="USD",
                    shipping_price=Decimal("5.00"),
                    subtotal=Decimal("40.00"),
                    discount_total=Decimal(0),
                    shipping_total=Decimal("5.00"),
                    total=Decimal("45.00"),
                    placed_by_kind="system",
                    placed_by_label="tests",
                )
            )
        orders = Order.objects.bulk_create(orders)
        shipments = Shipment.objects.bulk_create(
            [
                Shipment(
                    order=order,
                    warehouse=self.warehouses[warehouse],
                    number=f"{order.number}-1",
                    status=Shipment.Status.DELIVERED
                    if delivered_at
                    else Shipment.Status.IN_TRANSIT,
                    carrier=carrier,
                    tracking_number=f"{carrier.upper()}{order.number}",
                    shipped_at=shipped_at,
                    delivered_at=delivered_at,
                    delayed_at=delayed_at,
                    delay_reason=delay_reason,
                )
                for order in orders
            ]
        )
        Shipment.objects.filter(pk__in=[s.pk for s in shipments]).update(
            created_at=shipped_at - 2 * HOUR
        )
        if scan_every:
            end = min(until, delivered_at) if delivered_at else until
            self.scans(shipments, start=shipped_at + HOUR, end=end, every=scan_every)
        return shipments

    def scans(
        self, shipments: list[Shipment], *, start: datetime, end: datetime, every: timedelta
    ) -> None:
        events = []
        for shipment in shipments:
            at, sequence = start, 0
            while at <= end:
                sequence += 1
                events.append(
                    TrackingEvent(
                        shipment=shipment,
                        carrier=shipment.carrier,
                        carrier_event_id=f"{shipment.tracking_number}-{sequence}",
                        status=TrackingEvent.Status.IN_TRANSIT,
                        occurred_at=at,
                        applied_at=at,
                        **SCANNER.as_fields(),
                    )
                )
                at += every
        TrackingEvent.objects.bulk_create(events)

    def contact(
        self,
        shipment: Shipment,
        at: datetime,
        *,
        reason: str = Case.Reason.WHERE_IS_MY_ORDER,
        names_shipment: bool = True,
    ) -> Case:
        """A customer contact about the shipment's order, opened at `at`."""
        return Case.objects.create(
            customer=self.customer,
            order_id=shipment.order_id,
            shipment=shipment if names_shipment else None,
            channel=Case.Channel.PHONE,
            reason=reason,
            subject="Where is my order?",
            opened_at=at,
            last_contact_at=at,
        )

    def contact_again(self, case: Case, at: datetime) -> CaseEvent:
        event = CaseEvent.objects.create(
            case=case, type=CaseEvent.Type.CONTACT, order_id=case.order_id, **SCANNER.as_fields()
        )
        CaseEvent.objects.filter(pk=event.pk).update(created_at=at)
        return event

    def baseline_contacts(
        self, shipments: list[Shipment], per_day: int = 1, *, now: datetime = NOW
    ) -> None:
        """`per_day` contacts (distinct customers) in the window before the same hour on each
        of the 14 previous days."""
        index = 0
        for day in range(1, 15):
            for _ in range(per_day):
                self.contact(shipments[index % len(shipments)], now - day * DAY - HOUR)
                index += 1


def carrier_in_trouble(customers: int = 8) -> tuple[AlertStore, list[Shipment]]:
    """ups from EAST and from WEST: 40 parcels in flight each, one customer a day calling about
    each in the baseline windows (expected now: 2), and `customers` calling about each in the
    last hours: run_detection(now=NOW) raises one alert, on the carrier."""
    store = AlertStore()
    shipments = []
    for warehouse in ("EAST", "WEST"):
        parcels = store.parcels(40, warehouse=warehouse, scan_every=None)
        store.baseline_contacts(parcels)
        for shipment in parcels[:customers]:
            store.contact(shipment, NOW - 2 * HOUR)
        shipments += parcels
    return store, shipments
