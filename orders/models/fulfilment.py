"""Allocations (stock promised to a line in a warehouse), shipments (one parcel from one
warehouse) and the carrier's tracking events."""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from oms.actors import ActorFields


class Allocation(models.Model):
    """Units of a line reserved in one warehouse and not yet shipped."""

    order = models.ForeignKey("orders.Order", on_delete=models.CASCADE, related_name="allocations")
    line = models.ForeignKey(
        "orders.OrderLine", on_delete=models.CASCADE, related_name="allocations"
    )
    warehouse = models.ForeignKey("orders.Warehouse", on_delete=models.PROTECT, related_name="+")
    stock = models.ForeignKey("orders.Stock", on_delete=models.PROTECT, related_name="allocations")
    quantity = models.PositiveIntegerField()

    class Meta:
        verbose_name = _("allocation")
        verbose_name_plural = _("allocations")
        constraints = [
            models.UniqueConstraint(fields=["line", "warehouse"], name="allocation_line_warehouse")
        ]
        indexes = [models.Index(fields=["warehouse", "order"], name="allocation_warehouse_idx")]


class ShipmentStatus(models.TextChoices):
    PENDING = "pending", _("Ready to pick")
    PICKING = "picking", _("Picking")
    PACKED = "packed", _("Packed")
    SHIPPED = "shipped", _("Shipped")
    IN_TRANSIT = "in_transit", _("In transit")
    OUT_FOR_DELIVERY = "out_for_delivery", _("Out for delivery")
    DELIVERED = "delivered", _("Delivered")
    EXCEPTION = "exception", _("Exception")
    CANCELLED = "cancelled", _("Cancelled")


class DelayReason(models.TextChoices):
    LATE = "late", _("Late against its promised date")
    STALLED = "stalled", _("No carrier scan for too long")
    EXCEPTION = "exception", _("Carrier exception")


SS = ShipmentStatus
IN_WAREHOUSE = frozenset({SS.PENDING, SS.PICKING, SS.PACKED})
WITH_CARRIER = frozenset({SS.SHIPPED, SS.IN_TRANSIT, SS.OUT_FOR_DELIVERY, SS.EXCEPTION})
# Warehouse steps are explicit actions; carrier statuses come from tracking events, which may
# arrive late or out of order, so they may move between any carrier statuses except backwards
# out of "delivered".
SHIPMENT_TRANSITIONS: dict[str, frozenset[str]] = {
    SS.PENDING: frozenset({SS.PICKING, SS.PACKED, SS.SHIPPED, SS.CANCELLED}),
    SS.PICKING: frozenset({SS.PACKED, SS.SHIPPED, SS.CANCELLED}),
    SS.PACKED: frozenset({SS.SHIPPED, SS.CANCELLED}),
    SS.SHIPPED: frozenset({SS.IN_TRANSIT, SS.OUT_FOR_DELIVERY, SS.DELIVERED, SS.EXCEPTION}),
    SS.IN_TRANSIT: frozenset({SS.OUT_FOR_DELIVERY, SS.DELIVERED, SS.EXCEPTION}),
    SS.OUT_FOR_DELIVERY: frozenset({SS.IN_TRANSIT, SS.DELIVERED, SS.EXCEPTION}),
    SS.EXCEPTION: frozenset({SS.IN_TRANSIT, SS.OUT_FOR_DELIVERY, SS.DELIVERED}),
    SS.DELIVERED: frozenset(),
    SS.CANCELLED: frozenset(),
}


class Shipment(models.Model):
    Status = ShipmentStatus
    DelayReason = DelayReason

    order = models.ForeignKey("orders.Order", on_delete=models.CASCADE, related_name="shipments")
    warehouse = models.ForeignKey("orders.Warehouse", on_delete=models.PROTECT, related_name="+")
    number = models.CharField(_("number"), max_length=32, unique=True)
    status = models.CharField(
        _("status"), max_length=20, choices=ShipmentStatus.choices, default=SS.PENDING
    )
    carrier = models.CharField(_("carrier"), max_length=32, blank=True)
    service = models.CharField(_("service"), max_length=64, blank=True)
    tracking_number = models.CharField(_("tracking number"), max_length=64, blank=True)
    promised_delivery_date = models.DateField(null=True, blank=True)
    estimated_delivery_date = models.DateField(null=True, blank=True)
    shipped_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    # The carrier time of the newest scan applied, to ignore older scans arriving late.
    last_tracking_at = models.DateTimeField(null=True, blank=True)
    # Set once, by services.delays.detect_delays, when the parcel was found late, stalled or in
    # exception: the customer is told once per shipment.
    delayed_at = models.DateTimeField(_("delayed since"), null=True, blank=True)
    delay_reason = models.CharField(
        _("delay reason"), max_length=16, choices=DelayReason.choices, blank=True
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("shipment")
        verbose_name_plural = _("shipments")
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=ShipmentStatus.values), name="shipment_status_valid"
            ),
            models.UniqueConstraint(
                fields=["carrier", "tracking_number"],
                condition=~Q(tracking_number=""),
                name="shipment_tracking_number_per_carrier",
            ),
            models.CheckConstraint(
                condition=(Q(delayed_at__isnull=True) & Q(delay_reason=""))
                | (Q(delayed_at__isnull=False) & Q(delay_reason__in=DelayReason.values)),
                name="shipment_delay_reason_with_delayed_at",
            ),
        ]
        indexes = [
            models.Index(fields=["tracking_number"], name="shipment_tracking_idx"),
            models.Index(fields=["status", "carrier"], name="shipment_status_carrier_idx"),
            # Insights: shipped, in flight and delivered in a period.
            models.Index(fields=["shipped_at"], name="shipment_shipped_idx"),
            models.Index(fields=["delivered_at"], name="shipment_delivered_idx"),
            # The data-lake export's watermark for rows that change.
            models.Index(fields=["updated_at", "id"], name="shipment_updated_idx"),
            # The delay watch reads only parcels with the carrier and not yet flagged: a small,
            # moving set, whatever the size of the shipment history.
            models.Index(
                fields=["id"],
                condition=Q(
                    status__in=sorted(s.value for s in WITH_CARRIER), delayed_at__isnull=True
                ),
                name="shipment_delay_watch_idx",
            ),
        ]

    def __str__(self) -> str:
        return self.number

    def can_transition_to(self, status: str) -> bool:
        return status in SHIPMENT_TRANSITIONS[self.status]

    @property
    def is_in_warehouse(self) -> bool:
        return self.status in IN_WAREHOUSE


class ShipmentLine(models.Model):
    shipment = models.ForeignKey(Shipment, on_delete=models.CASCADE, related_name="lines")
    line = models.ForeignKey("orders.OrderLine", on_delete=models.CASCADE, related_name="+")
    quantity = models.PositiveIntegerField()

    class Meta:
        verbose_name = _("shipment line")
        verbose_name_plural = _("shipment lines")
        constraints = [
            models.UniqueConstraint(fields=["shipment", "line"], name="shipmentline_unique"),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="shipmentline_qty_gt_0"),
        ]


class TrackingEvent(ActorFields):
    """A carrier scan. Idempotent by (carrier, carrier_event_id); may arrive out of order.

    Stored first (the actor is who posted it), applied to the shipment later by a worker:
    `applied_at` is set once it has been.
    """

    class Status(models.TextChoices):
        LABEL_CREATED = "label_created", _("Label created")
        PICKED_UP = "picked_up", _("Picked up")
        IN_TRANSIT = "in_transit", _("In transit")
        OUT_FOR_DELIVERY = "out_for_delivery", _("Out for delivery")
        DELIVERED = "delivered", _("Delivered")
        EXCEPTION = "exception", _("Exception")
        INFO = "info", _("Information")

    shipment = models.ForeignKey(Shipment, on_delete=models.CASCADE, related_name="tracking_events")
    carrier = models.CharField(max_length=32)
    carrier_event_id = models.CharField(max_length=128)
    status = models.CharField(max_length=20, choices=Status.choices)
    description = models.CharField(max_length=255, blank=True)
    location = models.CharField(max_length=128, blank=True)
    occurred_at = models.DateTimeField()
    received_at = models.DateTimeField(auto_now_add=True)
    applied_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("tracking event")
        verbose_name_plural = _("tracking events")
        ordering = ["occurred_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["carrier", "carrier_event_id"], name="trackingevent_carrier_event"
            )
        ]
        indexes = [
            models.Index(fields=["shipment", "occurred_at"], name="tracking_shipment_idx"),
            # Insights' exception rate: which parcels ever had an exception scan.
            models.Index(
                fields=["shipment"], condition=Q(status="exception"), name="tracking_exception_idx"
            ),
            # The sweep's work list: scans stored but not applied yet (normally none).
            models.Index(
                fields=["received_at"],
                condition=Q(applied_at__isnull=True),
                name="tracking_unapplied_idx",
            ),
        ]
