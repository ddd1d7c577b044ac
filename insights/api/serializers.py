"""Output and input shapes of the insights API: the measure catalogue, a measure's rows, the
orders behind a number, and alerts. Read-only; numbers are exact decimals written as strings."""

import datetime as dt

from django.utils import timezone
from drf_spectacular.drainage import set_override
from drf_spectacular.utils import extend_schema_field, inline_serializer
from rest_framework import serializers

from insights.measures import Measure
from insights.measures.base import store_zone
from insights.models import Alert
from orders.models import Order

MAX_DAYS = 366
TEXT = {"required": False, "max_length": 64}

# The same shape as the order and returns APIs' problem (oms.api.problems): drf-spectacular
# keeps the first "Problem" component it meets, so the declarations must stay identical.
PROBLEM = inline_serializer(
    "Problem",
    {
        "type": serializers.CharField(),
        "title": serializers.CharField(),
        "status": serializers.IntegerField(),
        "code": serializers.CharField(),
        "detail": serializers.CharField(),
        "errors": serializers.ListField(child=serializers.DictField(), required=False),
    },
)
set_override(type(PROBLEM), "suppress_collision_warning", True)


@extend_schema_field({"type": "string", "format": "decimal", "example": "37.50"})
class DecimalText(serializers.Field):
    """A Decimal as written (counts "8", money "47.50", rates "37.50"); null when undefined."""

    def __init__(self, **kwargs):
        kwargs["read_only"] = True
        super().__init__(**kwargs)

    def to_representation(self, value):
        return None if value is None else str(value)


class MeasureOutput(serializers.Serializer):
    code = serializers.CharField()
    title = serializers.CharField()
    definition = serializers.CharField()
    unit = serializers.CharField(
        help_text="per_100_orders, per_100_shipments, percent, score (1-5) or "
        "money_per_order (in the `currency` filter's currency)."
    )
    cuts = serializers.ListField(child=serializers.CharField())
    filters = serializers.SerializerMethodField(help_text="Query parameters it takes.")
    drill = serializers.CharField(help_text="Which orders /orders/ returns.")
    higher_is_better = serializers.BooleanField()

    def get_filters(self, measure: Measure) -> list[str]:
        return [*measure.filter_names, *(c for c in measure.cuts if c not in measure.filter_names)]


class RowOutput(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    numerator = DecimalText()
    denominator = DecimalText()
    value = DecimalText(allow_null=True)


class MeasureRowsOutput(serializers.Serializer):
    code = serializers.CharField()
    unit = serializers.CharField()
    start = serializers.DateField(help_text="First day, in the store's time zone.")
    end = serializers.DateField(help_text="Last day, included.")
    time_zone = serializers.CharField()
    cut = serializers.CharField(allow_null=True)
    filters = serializers.DictField(child=serializers.CharField())
    rows = RowOutput(many=True)


class MeasureQueryInput(serializers.Serializer):
    """The period (whole days in the store's time zone), the cut and the filters."""

    start = serializers.DateField(
        required=False, help_text="First day. Default: 29 days before end."
    )
    end = serializers.DateField(required=False, help_text="Last day, included. Default: today.")
    cut = serializers.CharField(
        help_text="warehouse, carrier, region, ship_date, product, channel, or the measure's "
        "own (reason, component, experience): see the catalogue.",
        **TEXT,
    )
    reason = serializers.CharField(help_text="Contact reason or return reason.", **TEXT)
    currency = serializers.CharField(help_text="cost_to_serve: ISO 4217 code.", **TEXT)
    component = serializers.CharField(help_text="cost_to_serve: one kind of cost.", **TEXT)
    experience = serializers.CharField(help_text="repurchase_90d: one experience.", **TEXT)
    warehouse = serializers.CharField(help_text="A warehouse code.", **TEXT)
    carrier = serializers.CharField(**TEXT)
    region = serializers.CharField(help_text='"<country>-<region>", e.g. BR-SP.', **TEXT)
    ship_date = serializers.CharField(help_text="YYYY-MM-DD.", **TEXT)
    product = serializers.CharField(help_text="A product's slug.", **TEXT)
    channel = serializers.CharField(**TEXT)

    PERIOD = ("start", "end", "cut")

    def validate(self, attrs):
        end = attrs.get("end") or timezone.localtime(timezone.now(), store_zone()).date()
        start = attrs.get("start") or end - dt.timedelta(days=29)
        if start > end:
            raise serializers.ValidationError(
                {"end": "The period ends before it starts."}, code="invalid_period"
            )
        if (end - start).days >= MAX_DAYS:
            raise serializers.ValidationError(
                {"start": f"A period is at most {MAX_DAYS} days."}, code="period_too_long"
            )
        return {**attrs, "start": start, "end": end}

    def filters(self) -> dict[str, str]:
        return {k: v for k, v in self.validated_data.items() if k not in self.PERIOD and v != ""}


class OrdersBehindInput(MeasureQueryInput):
    key = serializers.CharField(
        help_text="A row's key (needs `cut`); without it, the orders behind every row.", **TEXT
    )

    PERIOD = ("start", "end", "cut", "key")

    def validate(self, attrs):
        attrs = super().validate(attrs)
        if attrs.get("key") and not attrs.get("cut"):
            raise serializers.ValidationError({"key": "A key needs a cut."}, code="key_without_cut")
        return attrs


class OrderBehindOutput(serializers.ModelSerializer):
    total = serializers.SerializerMethodField()

    class Meta:
        model = Order
        fields = ["number", "status", "channel", "currency", "total", "created_at"]

    def get_total(self, order: Order) -> str:
        return str(order.total)


class AlertOutput(serializers.ModelSerializer):
    class Meta:
        model = Alert
        fields = [
            "id",
            "subject_kind",
            "subject_code",
            "metric",
            "status",
            "raised_at",
            "last_checked_at",
            "window_start",
            "window_end",
            "observed_count",
            "expected_count",
            "volume",
            "observed_rate",
            "baseline_rate",
            "drivers",
            "exposed_orders",
            "exposed_shipments",
            "acknowledged_at",
            "resolved_at",
            "notified_at",
            "notified_count",
        ]
