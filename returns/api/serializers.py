"""Output serializers of the returns API. Read-only shapes that read only what the selectors
prefetched (a response costs a fixed number of queries), and the policy engine's answer types
(returns.policy.types) as they are, so the API says exactly what the portal and the console say."""

from django.db import models
from django.urls import reverse
from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.utils import extend_schema_field, inline_serializer
from rest_framework import serializers

from orders import money
from returns.models import (
    Disposition,
    ItemCondition,
    RefundRelease,
    RequestedVia,
    Resolution,
    ReturnEvent,
    ReturnLine,
    ReturnReason,
    ReturnRefund,
    ReturnRequest,
    ReturnStatus,
)


class EnumField(serializers.ChoiceField):
    """A choice field documented as one named enum component (ReturnStatusEnum, ...). The
    returns API shares field names (status, reason, kind, type) with the order API's different
    choice sets; naming the enum here keeps the schema free of ambiguous names."""

    def __init__(self, choices: type[models.TextChoices], *, enum_name: str, **kwargs):
        self.enum_class = choices
        self.enum_name = enum_name
        super().__init__(choices=choices.choices, **kwargs)

    def to_representation(self, value):
        if value == "" and self.allow_null:
            return None  # not decided yet (a line's condition before receipt)
        return super().to_representation(value)


class EnumFieldExtension(OpenApiSerializerFieldExtension):
    target_class = EnumField
    match_subclasses = True

    def get_name(self) -> str:
        return self.target.enum_name

    def map_serializer_field(self, auto_schema, direction) -> dict:
        choices = self.target.enum_class.choices
        return {
            "type": "string",
            "enum": [value for value, _label in choices],
            "description": "\n".join(f"* `{value}` - {label}" for value, label in choices),
        }


def status_field(**kwargs) -> EnumField:
    return EnumField(ReturnStatus, enum_name="ReturnStatusEnum", **kwargs)


def resolution_field(**kwargs) -> EnumField:
    return EnumField(Resolution, enum_name="ReturnResolutionEnum", **kwargs)


def reason_field(**kwargs) -> EnumField:
    return EnumField(ReturnReason, enum_name="ReturnReasonEnum", **kwargs)


def condition_field(**kwargs) -> EnumField:
    return EnumField(ItemCondition, enum_name="ReturnItemConditionEnum", **kwargs)


def disposition_field(**kwargs) -> EnumField:
    return EnumField(Disposition, enum_name="ReturnDispositionEnum", **kwargs)


@extend_schema_field({"type": "string", "format": "decimal", "example": "30.95"})
class MoneyField(serializers.Field):
    """A Decimal amount written with its currency's decimals ("30.95" USD, "3095" JPY).

    The currency is the object's own, or the one passed down in the serializer context.
    """

    def __init__(self, **kwargs):
        kwargs["read_only"] = True
        super().__init__(**kwargs)

    def get_attribute(self, instance):
        currency = getattr(instance, "currency", None) or self.context.get("currency")
        return super().get_attribute(instance), currency

    def to_representation(self, value) -> str:
        amount, currency = value
        return str(money.quantize(amount, currency) if currency else amount)


class ActorOutput(serializers.Serializer):
    kind = serializers.CharField(source="actor_kind", help_text="customer, staff, api_client…")
    label = serializers.CharField(source="actor_label")


def label_url(return_request: ReturnRequest, request) -> str | None:
    """Where the API client downloads the return label, while the parcel is expected."""
    if not return_request.has_label:
        return None
    path = reverse("api-return-label", kwargs={"rma": return_request.rma})
    return request.build_absolute_uri(path) if request is not None else path


class ReturnSummaryOutput(serializers.ModelSerializer):
    """One row of the returns list."""

    status = status_field(read_only=True)
    resolution = resolution_field(read_only=True)
    requested_via = EnumField(RequestedVia, enum_name="ReturnRequestedViaEnum", read_only=True)

    order = serializers.CharField(source="order.number", help_text="The order's number.")
    email = serializers.EmailField(source="customer.email", help_text="The customer's email.")
    warehouse = serializers.CharField(
        source="warehouse.code", allow_null=True, help_text="Where the parcel goes."
    )
    exchange_order = serializers.CharField(
        source="exchange_order.number",
        allow_null=True,
        help_text="The replacement order of an exchange, once placed.",
    )
    estimated_total = MoneyField(help_text="The refund the customer was shown at request time.")
    refunded_amount = MoneyField(help_text="Refunded to the original payment so far.")
    credited_amount = MoneyField(help_text="Store credit issued so far (bonus included).")

    class Meta:
        model = ReturnRequest
        fields = [
            "rma",
            "order",
            "email",
            "status",
            "resolution",
            "requested_via",
            "is_withdrawal",
            "is_instant_exchange",
            "is_keep_it",
            "warehouse",
            "currency",
            "estimated_total",
            "refunded_amount",
            "credited_amount",
            "exchange_order",
            "tracking_number",
            "created_at",
            "updated_at",
        ]


class ReturnLineOutput(serializers.ModelSerializer):
    order_line_id = serializers.IntegerField(source="order_line.pk")
    line_number = serializers.IntegerField(
        source="order_line.line_number", help_text="The order line's number."
    )
    sku = serializers.CharField(source="order_line.sku")
    name = serializers.CharField(source="order_line.name")
    unit_amount = MoneyField(help_text="What one unit brings back (after its share of discount).")
    restocking_fee = MoneyField()
    exchange_sku = serializers.CharField(
        source="exchange_variant.sku", allow_null=True, help_text="The replacement variant."
    )
    photo_count = serializers.SerializerMethodField()
    reason = reason_field(read_only=True)
    condition = condition_field(
        read_only=True, allow_null=True, help_text="Set on receipt; null before."
    )
    disposition = disposition_field(
        read_only=True, allow_null=True, help_text="Set on inspection; null before."
    )

    class Meta:
        model = ReturnLine
        fields = [
            "id",
            "order_line_id",
            "line_number",
            "sku",
            "name",
            "quantity",
            "reason",
            "comment",
            "unit_amount",
            "restocking_fee",
            "exchange_sku",
            "photo_count",
            "quantity_received",
            "condition",
            "disposition",
            "quantity_restocked",
        ]

    def get_photo_count(self, line: ReturnLine) -> int:
        return len(line.photos.all())  # prefetched


class ReturnRefundOutput(serializers.ModelSerializer):
    kind = EnumField(ReturnRefund.Kind, enum_name="ReturnRefundKindEnum", read_only=True)
    amount = MoneyField()
    actor = ActorOutput(source="*")

    class Meta:
        model = ReturnRefund
        fields = ["id", "kind", "amount", "reference", "actor", "created_at"]


class ReturnEventOutput(serializers.ModelSerializer):
    type = EnumField(ReturnEvent.Type, enum_name="ReturnEventTypeEnum", read_only=True)
    actor = ActorOutput(source="*")

    class Meta:
        model = ReturnEvent
        fields = ["id", "type", "reason", "data", "actor", "created_at"]


class ReturnAmountsOutput(serializers.Serializer):
    items_amount = MoneyField(help_text="The returned units' value.")
    restocking_fee = MoneyField()
    return_shipping_fee = MoneyField(help_text="Charged when the customer pays return shipping.")
    shipping_refund = MoneyField(help_text="Original shipping refunded (statutory withdrawal).")
    bonus_amount = MoneyField(help_text="Store credit bonus.")
    estimated_total = MoneyField(help_text="What the customer was shown at request time.")
    refunded_amount = MoneyField(help_text="Refunded to the original payment so far.")
    credited_amount = MoneyField(help_text="Store credit issued so far.")


class ReturnDetailOutput(serializers.ModelSerializer):
    """A return with its lines, money, the money it moved and its timeline."""

    order = serializers.CharField(source="order.number", help_text="The order's number.")
    customer = serializers.SerializerMethodField()
    status = status_field(read_only=True)
    resolution = resolution_field(read_only=True)
    requested_via = EnumField(RequestedVia, enum_name="ReturnRequestedViaEnum", read_only=True)
    refund_release = EnumField(RefundRelease, enum_name="RefundReleaseEnum", read_only=True)
    requested_by = ActorOutput(source="*")
    warehouse = serializers.CharField(
        source="warehouse.code", allow_null=True, help_text="Where the parcel goes."
    )
    amounts = ReturnAmountsOutput(source="*")
    exchange_order = serializers.CharField(
        source="exchange_order.number",
        allow_null=True,
        help_text="The replacement order of an exchange, once placed.",
    )
    label_url = serializers.SerializerMethodField(
        help_text="The printable return label (PDF) while the parcel is expected; null otherwise."
    )
    note = serializers.CharField(source="customer_note")
    lines = ReturnLineOutput(many=True)
    refunds = ReturnRefundOutput(many=True)
    timeline = ReturnEventOutput(many=True, source="events")

    class Meta:
        model = ReturnRequest
        fields = [
            "rma",
            "order",
            "customer",
            "status",
            "resolution",
            "requested_via",
            "requested_by",
            "is_withdrawal",
            "is_instant_exchange",
            "is_keep_it",
            "refund_release",
            "warehouse",
            "currency",
            "amounts",
            "exchange_order",
            "carrier",
            "tracking_number",
            "label_url",
            "decision_reason",
            "note",
            "created_at",
            "updated_at",
            "approved_at",
            "shipped_at",
            "received_at",
            "inspected_at",
            "resolved_at",
            "closed_at",
            "expires_at",
            "lines",
            "refunds",
            "timeline",
        ]

    def __init__(self, instance=None, **kwargs):
        super().__init__(instance, **kwargs)
        if isinstance(instance, ReturnRequest):  # nested money takes the return's currency
            self.context["currency"] = instance.currency

    @extend_schema_field(
        inline_serializer(
            "ReturnCustomer",
            {
                "id": serializers.IntegerField(),
                "name": serializers.CharField(),
                "email": serializers.EmailField(),
            },
        )
    )
    def get_customer(self, return_request: ReturnRequest) -> dict:
        customer = return_request.customer
        return {"id": customer.pk, "name": customer.name, "email": customer.email}

    def get_label_url(self, return_request: ReturnRequest) -> str | None:
        return label_url(return_request, self.context.get("request"))


# --- The policy's answers ---------------------------------------------------------------------


class ChoiceOutput(serializers.Serializer):
    code = serializers.CharField()
    label = serializers.CharField()


class ReasonOptionOutput(serializers.Serializer):
    code = reason_field()
    label = serializers.CharField(help_text="Translated into the request's language.")
    requires_photo = serializers.BooleanField()
    customer_pays_return_shipping = serializers.BooleanField()
    restocking_fee_percent = serializers.DecimalField(max_digits=5, decimal_places=2)
    keep_it_max_amount = MoneyField(
        help_text="Units worth up to this are refunded without a return (0: never)."
    )
    requires_review = serializers.BooleanField(help_text="A rep approves such returns first.")


class WithdrawalOutput(serializers.Serializer):
    code = serializers.CharField(help_text="br_cdc_49 (Brazil, 7 days) or eu_14_days (EU).")
    days = serializers.IntegerField()
    ends_at = serializers.DateTimeField(
        help_text="The end of the last day, in the customer's time zone."
    )
    is_open = serializers.BooleanField()
    refunds_original_shipping = serializers.BooleanField()
    has_withdrawal_button = serializers.BooleanField(
        help_text="EU: offer the online withdrawal function."
    )


class LineDecisionOutput(serializers.Serializer):
    order_line_id = serializers.IntegerField(source="order_line.pk")
    line_number = serializers.IntegerField(source="order_line.line_number")
    sku = serializers.CharField(source="order_line.sku")
    name = serializers.CharField(source="order_line.name")
    returnable_quantity = serializers.IntegerField(
        help_text="Delivered units not yet returned nor in an open return."
    )
    is_returnable = serializers.BooleanField()
    code = serializers.CharField(
        help_text="returnable, final_sale, window_closed, not_delivered, fully_returned, …"
    )
    explanation = serializers.CharField(help_text="One sentence the customer reads, translated.")
    window_ends_at = serializers.DateTimeField(
        allow_null=True, help_text="The end of the last day, in the customer's time zone."
    )
    is_statutory_only = serializers.BooleanField(
        help_text="Returnable only through the statutory right of withdrawal."
    )
    is_withdrawable = serializers.BooleanField(
        help_text="May be returned now as a statutory withdrawal (the right is open)."
    )


class OrderDecisionOutput(serializers.Serializer):
    """The policy's decision for one order. Pass the order in the context."""

    order = serializers.SerializerMethodField(help_text="The order's number.")
    currency = serializers.SerializerMethodField()
    policy = serializers.CharField(source="policy.name", help_text="The policy that decided.")
    time_zone = serializers.CharField(help_text="The customer's time zone (windows end there).")
    has_returnable_lines = serializers.BooleanField()
    lines = LineDecisionOutput(many=True)
    resolutions = serializers.SerializerMethodField()
    reasons = ReasonOptionOutput(many=True)
    withdrawal = WithdrawalOutput(allow_null=True)

    def get_order(self, decision) -> str:
        return self.context["order"].number

    def get_currency(self, decision) -> str:
        return self.context["order"].currency

    @extend_schema_field(ChoiceOutput(many=True))
    def get_resolutions(self, decision) -> list[dict]:
        labels = dict(Resolution.choices)
        return [
            {"code": code, "label": str(labels.get(code, code))} for code in decision.resolutions
        ]


class FieldErrorOutput(serializers.Serializer):
    field = serializers.CharField(help_text="Path in the request body, e.g. lines.0.quantity.")
    code = serializers.CharField()
    message = serializers.CharField()


class LineEstimateOutput(serializers.Serializer):
    order_line_id = serializers.IntegerField(source="order_line.pk")
    line_number = serializers.IntegerField(source="order_line.line_number")
    sku = serializers.CharField(source="order_line.sku")
    quantity = serializers.IntegerField()
    reason = reason_field()
    unit_amount = MoneyField()
    amount = MoneyField()
    restocking_fee = MoneyField()
    exchange_sku = serializers.CharField(source="exchange_variant.sku", allow_null=True)
    exchange_amount = MoneyField(help_text="The replacement's price × quantity.")


class EstimateOutput(serializers.Serializer):
    is_valid = serializers.BooleanField(help_text="False: `errors` says what the policy refuses.")
    errors = FieldErrorOutput(many=True)
    resolution = resolution_field()
    currency = serializers.CharField()
    items_amount = MoneyField()
    restocking_fee = MoneyField()
    return_shipping_fee = MoneyField()
    shipping_refund = MoneyField(help_text="Original shipping, refunded on a withdrawal.")
    bonus_amount = MoneyField(help_text="Store credit bonus.")
    total = MoneyField(help_text="What the customer gets back.")
    is_capped = serializers.BooleanField(
        help_text="The total was lowered to what the order still holds (captured - refunded)."
    )
    exchange_difference = MoneyField(
        help_text="Exchanges: > 0 the customer pays the difference, < 0 it is refunded."
    )
    is_withdrawal = serializers.BooleanField()
    is_keep_it = serializers.BooleanField(help_text="No parcel needed: refunded without return.")
    requires_review = serializers.BooleanField(help_text="A rep approves it before the label.")
    refund_release = EnumField(RefundRelease, enum_name="RefundReleaseEnum")
    warehouse = serializers.CharField(source="warehouse.code", allow_null=True)
    lines = LineEstimateOutput(many=True)
