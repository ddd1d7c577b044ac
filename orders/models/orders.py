"""Orders, their lines, the order state machine and the order timeline (OrderEvent)."""

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from oms.actors import ActorFields, ActorKind
from orders.money import CURRENCIES, money_field_kwargs


class OrderStatus(models.TextChoices):
    PENDING_PAYMENT = "pending_payment", _("Pending payment")
    CONFIRMED = "confirmed", _("Confirmed")
    ON_HOLD = "on_hold", _("On hold")
    PROCESSING = "processing", _("Processing")
    PARTIALLY_SHIPPED = "partially_shipped", _("Partially shipped")
    SHIPPED = "shipped", _("Shipped")
    PARTIALLY_DELIVERED = "partially_delivered", _("Partially delivered")
    DELIVERED = "delivered", _("Delivered")
    CANCELLED = "cancelled", _("Cancelled")


S = OrderStatus
# The order state machine, as data. Fulfilment statuses follow the shipments (see
# services.fulfilment.sync_order_status); holds and cancellations are explicit actions.
TRANSITIONS: dict[str, frozenset[str]] = {
    S.PENDING_PAYMENT: frozenset({S.CONFIRMED, S.CANCELLED}),
    S.CONFIRMED: frozenset({S.PROCESSING, S.PARTIALLY_SHIPPED, S.SHIPPED, S.ON_HOLD, S.CANCELLED}),
    S.PROCESSING: frozenset({S.PARTIALLY_SHIPPED, S.SHIPPED, S.ON_HOLD, S.CANCELLED}),
    S.ON_HOLD: frozenset({S.CONFIRMED, S.PROCESSING, S.CANCELLED}),
    S.PARTIALLY_SHIPPED: frozenset({S.SHIPPED, S.PARTIALLY_DELIVERED, S.DELIVERED}),
    S.SHIPPED: frozenset({S.PARTIALLY_DELIVERED, S.DELIVERED}),
    S.PARTIALLY_DELIVERED: frozenset({S.DELIVERED}),
    S.DELIVERED: frozenset(),
    S.CANCELLED: frozenset(),
}
# Before anything has left a warehouse: lines may still be cancelled or changed.
UNSHIPPED_STATUSES = frozenset({S.PENDING_PAYMENT, S.CONFIRMED, S.PROCESSING, S.ON_HOLD})


class Channel(models.TextChoices):
    WEB = "web", _("Web store")
    MARKETPLACE = "marketplace", _("Marketplace")
    API = "api", _("API")
    CSR = "csr", _("Customer service")
    EXCHANGE = "exchange", _("Exchange")
    REPLACEMENT = "replacement", _("Replacement")


class ShippingMethod(models.TextChoices):
    STANDARD = "standard", _("Standard")
    EXPRESS = "express", _("Express")
    NEXT_DAY = "next_day", _("Next day")
    PICKUP = "pickup", _("Store pickup")


class Order(models.Model):
    Status = OrderStatus
    Channel = Channel
    ShippingMethod = ShippingMethod

    number = models.CharField(_("number"), max_length=20, unique=True)
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    external_reference = models.CharField(_("external reference"), max_length=64, blank=True)
    status = models.CharField(
        _("status"), max_length=24, choices=OrderStatus.choices, default=S.PENDING_PAYMENT
    )
    held_from_status = models.CharField(max_length=24, choices=OrderStatus.choices, blank=True)
    hold_reason = models.CharField(_("hold reason"), max_length=255, blank=True)
    customer = models.ForeignKey("orders.Customer", on_delete=models.PROTECT, related_name="orders")
    email = models.EmailField(_("email"))
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    locale = models.CharField(_("language"), max_length=8, default="en")
    shipping_address = models.JSONField(_("shipping address"))
    billing_address = models.JSONField(_("billing address"))
    shipping_method = models.CharField(
        _("shipping method"), max_length=16, choices=ShippingMethod.choices
    )
    currency = models.CharField(_("currency"), max_length=3, choices=[(c, c) for c in CURRENCIES])
    shipping_price = models.DecimalField(_("shipping price"), **money_field_kwargs())
    # The sum of price adjustments on the whole order (OrderAdjustment rows without a line): an
    # input of orders.pricing, like line discounts, not a cache.
    order_discount = models.DecimalField(_("order discount"), default=0, **money_field_kwargs())
    # Money given back to the original payment for returned units (returns app). It lowers
    # what payments.settle_payments keeps captured, so a later capture never takes it back.
    refunded_for_returns = models.DecimalField(
        _("refunded for returns"), default=0, **money_field_kwargs()
    )
    # Cached totals: derived by orders.pricing from lines and shipping, never edited by hand.
    subtotal = models.DecimalField(_("subtotal"), **money_field_kwargs())
    discount_total = models.DecimalField(_("discounts"), **money_field_kwargs())
    shipping_total = models.DecimalField(_("shipping"), **money_field_kwargs())
    total = models.DecimalField(_("total"), **money_field_kwargs())
    promised_delivery_date = models.DateField(_("promised delivery"), null=True, blank=True)
    placed_by_kind = models.CharField(max_length=16, choices=ActorKind.choices)
    placed_by_label = models.CharField(max_length=150)
    placed_by_user = models.ForeignKey(
        "auth.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    placed_by_api_client = models.ForeignKey(
        "oms.ApiClient", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    original_order = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="follow_up_orders"
    )
    note = models.TextField(_("note"), blank=True)
    # Raised by the system (a delayed shipment) for the console's queue; a CSR clears it.
    needs_attention = models.BooleanField(_("needs attention"), default=False)
    attention_reason = models.CharField(_("attention reason"), max_length=255, blank=True)
    attention_at = models.DateTimeField(_("needs attention since"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "external_reference"],
                condition=~Q(external_reference=""),
                name="order_external_reference_per_channel",
            ),
            models.CheckConstraint(
                condition=Q(status__in=OrderStatus.values), name="order_status_valid"
            ),
            models.CheckConstraint(condition=Q(total__gte=0), name="order_total_gte_0"),
            models.CheckConstraint(
                condition=Q(refunded_for_returns__gte=0), name="order_refunded_for_returns_gte_0"
            ),
        ]
        indexes = [
            models.Index(fields=["status", "-id"], name="order_status_idx"),
            models.Index(fields=["channel", "-id"], name="order_channel_idx"),
            models.Index(fields=["email", "-id"], name="order_email_idx"),
            models.Index(fields=["created_at"], name="order_created_idx"),
            models.Index(fields=["external_reference"], name="order_external_ref_idx"),
            models.Index(fields=["customer", "-id"], name="order_customer_idx"),
            # Insights' repurchase measure (a customer's next order) and the export's watermark.
            models.Index(fields=["customer", "created_at"], name="order_customer_created_idx"),
            models.Index(fields=["updated_at", "id"], name="order_updated_idx"),
            # The console's attention queue, oldest first; few orders are ever in it.
            models.Index(
                fields=["attention_at"],
                condition=Q(needs_attention=True),
                name="order_attention_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.number}"

    def can_transition_to(self, status: str) -> bool:
        return status in TRANSITIONS[self.status]

    @property
    def is_unshipped(self) -> bool:
        return self.status in UNSHIPPED_STATUSES


class OrderLine(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    line_number = models.PositiveSmallIntegerField()
    variant = models.ForeignKey("orders.Variant", on_delete=models.PROTECT, related_name="+")
    sku = models.CharField(_("SKU"), max_length=64)
    name = models.CharField(_("name"), max_length=200)
    quantity = models.PositiveIntegerField(_("quantity"))
    unit_price = models.DecimalField(_("unit price"), **money_field_kwargs())
    # Discount on the whole line as ordered; cancelling units cancels their share of it.
    discount = models.DecimalField(_("discount"), default=0, **money_field_kwargs())
    quantity_cancelled = models.PositiveIntegerField(_("cancelled"), default=0)
    quantity_shipped = models.PositiveIntegerField(_("shipped"), default=0)
    quantity_returned = models.PositiveIntegerField(_("returned"), default=0)
    is_final_sale = models.BooleanField(_("final sale"), default=False)

    class Meta:
        verbose_name = _("order line")
        verbose_name_plural = _("order lines")
        ordering = ["line_number"]
        constraints = [
            models.UniqueConstraint(fields=["order", "line_number"], name="orderline_number"),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="orderline_quantity_gt_0"),
            models.CheckConstraint(
                condition=Q(quantity_cancelled__lte=F("quantity") - F("quantity_shipped")),
                name="orderline_cancelled_plus_shipped_lte_quantity",
            ),
            models.CheckConstraint(
                condition=Q(quantity_returned__lte=F("quantity_shipped")),
                name="orderline_returned_lte_shipped",
            ),
            models.CheckConstraint(
                condition=Q(discount__gte=0) & Q(unit_price__gte=0), name="orderline_money_gte_0"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.sku} × {self.quantity}"

    @property
    def quantity_active(self) -> int:
        """Units still owed to the customer or already sent: ordered minus cancelled."""
        return self.quantity - self.quantity_cancelled

    @property
    def quantity_unshipped(self) -> int:
        return self.quantity - self.quantity_cancelled - self.quantity_shipped


class OrderEvent(ActorFields):
    """One entry of the order timeline: who did what, when and why."""

    class Type(models.TextChoices):
        PLACED = "placed", _("Order placed")
        PAYMENT_AUTHORIZED = "payment_authorized", _("Payment authorized")
        PAYMENT_FAILED = "payment_failed", _("Payment failed")
        PAYMENT_CAPTURED = "payment_captured", _("Payment captured")
        PAYMENT_REFUNDED = "payment_refunded", _("Payment refunded")
        PAYMENT_VOIDED = "payment_voided", _("Payment voided")
        CONFIRMED = "confirmed", _("Order confirmed")
        HELD = "held", _("Put on hold")
        RELEASED = "released", _("Released from hold")
        CANCELLED = "cancelled", _("Order cancelled")
        LINES_CANCELLED = "lines_cancelled", _("Lines cancelled")
        SHIPMENT_CREATED = "shipment_created", _("Shipment created")
        SHIPMENT_UPDATED = "shipment_updated", _("Shipment updated")
        SHIPPED = "shipped", _("Shipment shipped")
        TRACKING = "tracking", _("Carrier scan")
        DELIVERED = "delivered", _("Shipment delivered")
        SHIPMENT_EXCEPTION = "shipment_exception", _("Shipment exception")
        DELAYED = "delayed", _("Shipment delayed")
        ATTENTION_CLEARED = "attention_cleared", _("Attention cleared")
        STATUS_CHANGED = "status_changed", _("Status changed")
        NOTE = "note", _("Note")
        MODIFIED = "modified", _("Order modified")
        ADJUSTED = "adjusted", _("Price adjusted")
        GOODWILL = "goodwill", _("Goodwill credit given")
        REPLACEMENT = "replacement", _("Replacement sent")
        NOTIFICATION_RESENT = "notification_resent", _("Notification resent")
        PAYMENT_LINK_SENT = "payment_link_sent", _("Payment link sent")
        APPROVAL_REQUESTED = "approval_requested", _("Approval requested")
        APPROVAL_DECIDED = "approval_decided", _("Approval decided")
        RETURN_UPDATED = "return_updated", _("Return updated")
        FEEDBACK = "feedback", _("Customer feedback")

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="events")
    type = models.CharField(max_length=32, choices=Type.choices)
    reason = models.CharField(max_length=255, blank=True)
    data = models.JSONField(default=dict, blank=True, encoder=DjangoJSONEncoder)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("order event")
        verbose_name_plural = _("order events")
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["order", "created_at"], name="orderevent_order_idx")]

    def __str__(self) -> str:
        return f"{self.order_id} {self.type}"
