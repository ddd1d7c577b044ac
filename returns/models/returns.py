"""Return requests (RMAs), their lines, photos, the return timeline and the money they moved."""

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from oms.actors import ActorFields
from orders.money import money_field_kwargs
from returns.models.policy import RefundRelease, Resolution, ReturnReason


class ReturnStatus(models.TextChoices):
    REQUESTED = "requested", _("Requested")
    APPROVED = "approved", _("Approved")
    IN_TRANSIT = "in_transit", _("In transit")
    RECEIVED = "received", _("Received")
    INSPECTED = "inspected", _("Inspected")
    REFUNDED = "refunded", _("Refunded")
    CREDITED = "credited", _("Credited")
    EXCHANGED = "exchanged", _("Exchanged")
    CLOSED = "closed", _("Closed")
    REJECTED = "rejected", _("Rejected")
    CANCELLED = "cancelled", _("Cancelled")
    EXPIRED = "expired", _("Expired")


R = ReturnStatus
RESOLVED = frozenset({R.REFUNDED, R.CREDITED, R.EXCHANGED})
# Physical progress and the decision; money may be released earlier than the resolved status
# (on the first scan, say): `refunded_amount` and `credited_amount` say what went back when.
TRANSITIONS: dict[str, frozenset[str]] = {
    R.REQUESTED: frozenset({R.APPROVED, R.REJECTED, R.CANCELLED}),
    # Straight to resolved: a "keep it" return needs no parcel.
    R.APPROVED: frozenset({R.IN_TRANSIT, R.RECEIVED, R.CANCELLED, R.EXPIRED, *RESOLVED}),
    R.IN_TRANSIT: frozenset({R.RECEIVED}),
    R.RECEIVED: frozenset({R.INSPECTED, *RESOLVED}),
    R.INSPECTED: frozenset({*RESOLVED, R.CLOSED}),
    R.REFUNDED: frozenset({R.CLOSED}),
    R.CREDITED: frozenset({R.CLOSED}),
    R.EXCHANGED: frozenset({R.CLOSED}),
    R.CLOSED: frozenset(),
    R.REJECTED: frozenset(),
    R.CANCELLED: frozenset(),
    R.EXPIRED: frozenset(),
}
OPEN_STATUSES = frozenset({R.REQUESTED, R.APPROVED, R.IN_TRANSIT, R.RECEIVED, R.INSPECTED})
# The customer may cancel until the parcel is on its way.
CANCELLABLE_STATUSES = frozenset({R.REQUESTED, R.APPROVED})
# The parcel is expected or on its way: the return label is of use.
LABEL_STATUSES = frozenset({R.APPROVED, R.IN_TRANSIT})


class RequestedVia(models.TextChoices):
    PORTAL = "portal", _("Customer portal")
    CONSOLE = "console", _("Console")
    API = "api", _("API")


class ReturnRequest(ActorFields):
    """One RMA: what the customer sends back from one order, why, and what they get for it.
    The actor columns name who requested it. Money figures are fixed when it is requested (the
    estimate the customer saw) and settled from what is actually received."""

    Status = ReturnStatus

    rma = models.CharField(_("RMA number"), max_length=24, unique=True)
    order = models.ForeignKey("orders.Order", on_delete=models.PROTECT, related_name="returns")
    customer = models.ForeignKey(
        "orders.Customer", on_delete=models.PROTECT, related_name="returns"
    )
    status = models.CharField(
        _("status"), max_length=16, choices=ReturnStatus.choices, default=R.REQUESTED
    )
    resolution = models.CharField(_("resolution"), max_length=16, choices=Resolution.choices)
    requested_via = models.CharField(
        _("requested via"), max_length=16, choices=RequestedVia.choices
    )
    is_withdrawal = models.BooleanField(_("statutory withdrawal"), default=False)
    is_instant_exchange = models.BooleanField(_("instant exchange"), default=False)
    # No parcel: refunded without return ("keep it").
    is_keep_it = models.BooleanField(_("keep it"), default=False)
    policy = models.ForeignKey(
        "returns.ReturnPolicy", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    refund_release = models.CharField(
        _("refund released"), max_length=16, choices=RefundRelease.choices
    )
    warehouse = models.ForeignKey(
        "orders.Warehouse",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("return to"),
    )
    currency = models.CharField(_("currency"), max_length=3)
    # The estimate shown before submitting (fixed at request time).
    items_amount = models.DecimalField(_("items"), default=0, **money_field_kwargs())
    restocking_fee = models.DecimalField(_("restocking fee"), default=0, **money_field_kwargs())
    return_shipping_fee = models.DecimalField(
        _("return shipping"), default=0, **money_field_kwargs()
    )
    shipping_refund = models.DecimalField(
        _("original shipping refunded"), default=0, **money_field_kwargs()
    )
    bonus_amount = models.DecimalField(_("store credit bonus"), default=0, **money_field_kwargs())
    estimated_total = models.DecimalField(_("estimated refund"), default=0, **money_field_kwargs())
    # What actually went back (cached sums of ReturnRefund rows).
    refunded_amount = models.DecimalField(_("refunded"), default=0, **money_field_kwargs())
    credited_amount = models.DecimalField(_("credited"), default=0, **money_field_kwargs())
    exchange_order = models.ForeignKey(
        "orders.Order",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="exchange_for_returns",
    )
    carrier = models.CharField(_("carrier"), max_length=32, blank=True)
    tracking_number = models.CharField(_("tracking number"), max_length=64, blank=True)
    decision_reason = models.CharField(_("decision reason"), max_length=255, blank=True)
    customer_note = models.TextField(_("customer comment"), blank=True)
    # The caller's retry key (API Idempotency-Key, portal form token): the same reference
    # answers with the same return instead of creating another.
    idempotency_reference = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(_("requested"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    approved_at = models.DateTimeField(null=True, blank=True)
    shipped_at = models.DateTimeField(null=True, blank=True)
    received_at = models.DateTimeField(null=True, blank=True)
    inspected_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    # No carrier scan by then: the return expires (policy.ship_within_days after approval).
    expires_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("return")
        verbose_name_plural = _("returns")
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=ReturnStatus.values), name="return_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(refunded_amount__gte=0) & Q(credited_amount__gte=0),
                name="return_money_gte_0",
            ),
            models.UniqueConstraint(
                fields=["tracking_number"],
                condition=~Q(tracking_number=""),
                name="return_tracking_number_unique",
            ),
            models.UniqueConstraint(
                fields=["idempotency_reference"],
                condition=~Q(idempotency_reference=""),
                name="return_idempotency_reference_unique",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "-id"], name="return_status_idx"),
            models.Index(fields=["order", "-id"], name="return_order_idx"),
            models.Index(fields=["customer", "-id"], name="return_customer_idx"),
            models.Index(fields=["warehouse", "status", "-id"], name="return_warehouse_idx"),
            models.Index(fields=["resolution", "-id"], name="return_resolution_idx"),
            models.Index(fields=["requested_via", "-id"], name="return_via_idx"),
            models.Index(fields=["created_at"], name="return_created_idx"),
            # The data-lake export's watermark for rows that change.
            models.Index(fields=["updated_at", "id"], name="return_updated_idx"),
            models.Index(
                fields=["expires_at"],
                condition=Q(status="approved"),
                name="return_expiry_idx",
            ),
        ]

    def __str__(self) -> str:
        return self.rma

    def can_transition_to(self, status: str) -> bool:
        return status in TRANSITIONS[self.status]

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def is_cancellable(self) -> bool:
        return self.status in CANCELLABLE_STATUSES

    @property
    def has_label(self) -> bool:
        """A printable return label exists while the parcel is expected or on its way, and
        never for a "keep it" return (nothing is sent back). The portal and the API both ask
        this."""
        return self.status in LABEL_STATUSES and not self.is_keep_it


class ItemCondition(models.TextChoices):
    AS_NEW = "as_new", _("As new")
    OPENED = "opened", _("Opened, undamaged")
    DAMAGED = "damaged", _("Damaged")
    WRONG_ITEM = "wrong_item", _("Not the item sold")


class Disposition(models.TextChoices):
    RESTOCK = "restock", _("Restock")
    DAMAGED = "damaged", _("Damaged stock")
    SCRAP = "scrap", _("Scrap")


class ReturnLine(models.Model):
    """Units of one order line in a return. Receipt and inspection fill in the rest."""

    return_request = models.ForeignKey(
        ReturnRequest, on_delete=models.CASCADE, related_name="lines"
    )
    order_line = models.ForeignKey("orders.OrderLine", on_delete=models.PROTECT, related_name="+")
    quantity = models.PositiveIntegerField(_("quantity"))
    reason = models.CharField(_("reason"), max_length=24, choices=ReturnReason.choices)
    comment = models.TextField(_("comment"), blank=True)
    # What one unit brings back, after its share of the line's discount (fixed at request).
    unit_amount = models.DecimalField(_("unit refund"), **money_field_kwargs())
    restocking_fee = models.DecimalField(_("restocking fee"), default=0, **money_field_kwargs())
    exchange_variant = models.ForeignKey(
        "orders.Variant", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    quantity_received = models.PositiveIntegerField(_("received"), default=0)
    condition = models.CharField(
        _("condition"), max_length=16, choices=ItemCondition.choices, blank=True
    )
    disposition = models.CharField(
        _("disposition"), max_length=16, choices=Disposition.choices, blank=True
    )
    quantity_restocked = models.PositiveIntegerField(_("restocked"), default=0)

    class Meta:
        verbose_name = _("return line")
        verbose_name_plural = _("return lines")
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="returnline_quantity_gt_0"),
            models.CheckConstraint(
                condition=Q(quantity_received__lte=F("quantity")),
                name="returnline_received_lte_quantity",
            ),
            models.CheckConstraint(
                condition=Q(quantity_restocked__lte=F("quantity_received")),
                name="returnline_restocked_lte_received",
            ),
            models.UniqueConstraint(
                fields=["return_request", "order_line"], name="returnline_one_per_order_line"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.order_line.sku} × {self.quantity}"


class ReturnPhoto(models.Model):
    """A photo the customer attached to a return line (type and size checked on upload)."""

    line = models.ForeignKey(ReturnLine, on_delete=models.CASCADE, related_name="photos")
    image = models.FileField(_("photo"), upload_to="returns/photos/%Y/%m/")
    content_type = models.CharField(max_length=32)
    size = models.PositiveIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("return photo")
        verbose_name_plural = _("return photos")


class ReturnEvent(ActorFields):
    """One entry of the return's timeline: who did what, when and why."""

    class Type(models.TextChoices):
        REQUESTED = "requested", _("Return requested")
        APPROVED = "approved", _("Return approved")
        REJECTED = "rejected", _("Return rejected")
        CANCELLED = "cancelled", _("Return cancelled")
        EXPIRED = "expired", _("Return expired")
        LABEL_CREATED = "label_created", _("Return label created")
        IN_TRANSIT = "in_transit", _("Return parcel scanned")
        RECEIVED = "received", _("Return received")
        INSPECTED = "inspected", _("Return inspected")
        REFUNDED = "refunded", _("Refund released")
        CREDITED = "credited", _("Store credit released")
        EXCHANGED = "exchanged", _("Exchange order placed")
        CLOSED = "closed", _("Return closed")
        WITHDRAWAL_ACKNOWLEDGED = "withdrawal_acknowledged", _("Withdrawal acknowledged")
        NOTE = "note", _("Note")

    return_request = models.ForeignKey(
        ReturnRequest, on_delete=models.CASCADE, related_name="events"
    )
    type = models.CharField(max_length=32, choices=Type.choices)
    reason = models.CharField(max_length=255, blank=True)
    data = models.JSONField(default=dict, blank=True, encoder=DjangoJSONEncoder)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("return event")
        verbose_name_plural = _("return events")
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["return_request", "id"], name="returnevent_return_idx")]


class ReturnRefund(ActorFields):
    """Money a return moved: a refund to the original payment, store credit (and its bonus),
    or an exchange's price difference. `reference` is unique, so a retry never pays twice."""

    class Kind(models.TextChoices):
        REFUND = "refund", _("Refund to the original payment")
        STORE_CREDIT = "store_credit", _("Store credit")
        BONUS = "bonus", _("Store credit bonus")
        EXCHANGE_DIFFERENCE = "exchange_difference", _("Exchange price difference")

    return_request = models.ForeignKey(
        ReturnRequest, on_delete=models.PROTECT, related_name="refunds"
    )
    kind = models.CharField(max_length=24, choices=Kind.choices)
    amount = models.DecimalField(**money_field_kwargs())
    reference = models.CharField(max_length=96, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("return refund")
        verbose_name_plural = _("return refunds")
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="returnrefund_amount_gt_0")
        ]
