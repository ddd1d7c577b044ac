"""Output serializers for the order core. Read-only shapes; they read only what the selectors
prefetched, so a response costs a fixed number of queries."""

from drf_spectacular.utils import extend_schema_field, inline_serializer
from rest_framework import serializers

from orders import money
from orders.models import (
    Customer,
    Order,
    OrderEvent,
    OrderLine,
    Payment,
    PaymentTransaction,
    Product,
    Shipment,
    Stock,
    TrackingEvent,
    Variant,
    Warehouse,
)


@extend_schema_field({"type": "string", "format": "decimal", "example": "30.95"})
class MoneyField(serializers.Field):
    """A Decimal amount written with its currency's decimals ("30.95" USD, "3095" JPY).

    The currency is the object's own, or the order's, passed down in the serializer context.
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


class OrderLineOutput(serializers.ModelSerializer):
    unit_price = MoneyField()
    discount = MoneyField()

    class Meta:
        model = OrderLine
        fields = [
            "id",
            "line_number",
            "sku",
            "name",
            "quantity",
            "unit_price",
            "discount",
            "quantity_cancelled",
            "quantity_shipped",
            "quantity_returned",
            "is_final_sale",
        ]


class PaymentTransactionOutput(serializers.ModelSerializer):
    actor = serializers.CharField(source="actor_label")
    amount = MoneyField()

    class Meta:
        model = PaymentTransaction
        fields = [
            "id",
            "kind",
            "amount",
            "status",
            "gateway_reference",
            "error_code",
            "error_message",
            "reason",
            "actor",
            "created_at",
        ]


class PaymentOutput(serializers.ModelSerializer):
    transactions = PaymentTransactionOutput(many=True)
    amount_authorized = MoneyField()
    amount_captured = MoneyField()
    amount_refunded = MoneyField()

    class Meta:
        model = Payment
        fields = [
            "id",
            "gateway",
            "method_label",
            "reference",
            "currency",
            "status",
            "amount_authorized",
            "amount_captured",
            "amount_refunded",
            "transactions",
        ]


class TrackingEventOutput(serializers.ModelSerializer):
    class Meta:
        model = TrackingEvent
        fields = ["carrier_event_id", "status", "description", "location", "occurred_at"]


class ShipmentLineOutput(serializers.Serializer):
    line_id = serializers.IntegerField()
    sku = serializers.CharField(source="line.sku")
    quantity = serializers.IntegerField()


class ShipmentOutput(serializers.ModelSerializer):
    warehouse = serializers.CharField(source="warehouse.code")
    order = serializers.CharField(source="order.number")
    lines = ShipmentLineOutput(many=True)
    tracking_events = TrackingEventOutput(many=True)

    class Meta:
        model = Shipment
        fields = [
            "number",
            "order",
            "warehouse",
            "status",
            "carrier",
            "service",
            "tracking_number",
            "promised_delivery_date",
            "estimated_delivery_date",
            "shipped_at",
            "delivered_at",
            "lines",
            "tracking_events",
        ]


class OrderEventOutput(serializers.ModelSerializer):
    actor = serializers.SerializerMethodField()

    class Meta:
        model = OrderEvent
        fields = ["id", "type", "reason", "data", "actor", "created_at"]

    def get_actor(self, event: OrderEvent) -> dict:
        return {"kind": event.actor_kind, "label": event.actor_label}


class OrderSummaryOutput(serializers.ModelSerializer):
    total = MoneyField()

    class Meta:
        model = Order
        fields = [
            "number",
            "status",
            "channel",
            "external_reference",
            "email",
            "currency",
            "total",
            "promised_delivery_date",
            "created_at",
            "updated_at",
        ]


class NotificationOutput(serializers.Serializer):
    event_type = serializers.CharField()
    channel = serializers.CharField()
    target = serializers.CharField()
    status = serializers.CharField()
    detail = serializers.CharField()
    attempts = serializers.IntegerField()
    last_error = serializers.CharField()
    sent_at = serializers.DateTimeField()
    created_at = serializers.DateTimeField()


class OrderDetailOutput(serializers.ModelSerializer):
    customer = serializers.SerializerMethodField()
    placed_by = serializers.SerializerMethodField()
    totals = serializers.SerializerMethodField()
    shipping_price = MoneyField()
    lines = OrderLineOutput(many=True)
    payments = PaymentOutput(many=True)
    shipments = ShipmentOutput(many=True)
    timeline = OrderEventOutput(many=True, source="events")
    notifications = NotificationOutput(many=True, source="notifications_sent")

    class Meta:
        model = Order
        fields = [
            "number",
            "status",
            "hold_reason",
            "channel",
            "external_reference",
            "customer",
            "email",
            "phone",
            "locale",
            "shipping_address",
            "billing_address",
            "shipping_method",
            "shipping_price",
            "currency",
            "totals",
            "promised_delivery_date",
            "placed_by",
            "note",
            "created_at",
            "updated_at",
            "lines",
            "payments",
            "shipments",
            "timeline",
            "notifications",
        ]

    def get_customer(self, order: Order) -> dict:
        return {"id": order.customer_id, "name": order.customer.name, "email": order.customer.email}

    def get_placed_by(self, order: Order) -> dict:
        return {"kind": order.placed_by_kind, "label": order.placed_by_label}

    def __init__(self, instance=None, **kwargs):
        super().__init__(instance, **kwargs)
        if isinstance(instance, Order):  # nested lines and payments take the order's currency
            self.context["currency"] = instance.currency

    @extend_schema_field(
        inline_serializer(
            "OrderTotals",
            {
                name: serializers.CharField()
                for name in ("subtotal", "discount_total", "shipping_total", "total")
            },
        )
    )
    def get_totals(self, order: Order) -> dict:
        return {
            name: str(money.quantize(getattr(order, name), order.currency))
            for name in ("subtotal", "discount_total", "shipping_total", "total")
        }


class VariantOutput(serializers.ModelSerializer):
    price = MoneyField()

    class Meta:
        model = Variant
        fields = ["sku", "name", "price", "currency", "weight_grams", "is_final_sale", "is_active"]


class ProductOutput(serializers.ModelSerializer):
    variants = VariantOutput(many=True)

    class Meta:
        model = Product
        fields = ["id", "name", "slug", "category", "description", "is_active", "variants"]


class WarehouseOutput(serializers.ModelSerializer):
    class Meta:
        model = Warehouse
        fields = [
            "code",
            "name",
            "country",
            "region",
            "city",
            "postal_code",
            "priority",
            "is_active",
        ]


class StockOutput(serializers.ModelSerializer):
    sku = serializers.CharField(source="variant.sku")
    warehouse = serializers.CharField(source="warehouse.code")
    available = serializers.IntegerField()

    class Meta:
        model = Stock
        fields = ["sku", "warehouse", "on_hand", "allocated", "available", "updated_at"]


class CustomerOutput(serializers.ModelSerializer):
    class Meta:
        model = Customer
        fields = ["id", "name", "email", "phone", "locale", "country", "created_at"]


class AddressOutput(serializers.Serializer):
    name = serializers.CharField()
    line1 = serializers.CharField()
    line2 = serializers.CharField()
    city = serializers.CharField()
    region = serializers.CharField()
    postal_code = serializers.CharField()
    country = serializers.CharField()
    phone = serializers.CharField()
    is_default = serializers.BooleanField()


class CustomerDetailOutput(CustomerOutput):
    addresses = AddressOutput(many=True)

    class Meta(CustomerOutput.Meta):
        fields = [*CustomerOutput.Meta.fields, "addresses"]
