"""Output serializers for the order core. Read-only shapes; they read only what the selectors
prefetched, so a response costs a fixed number of queries."""

from django.conf import settings
from django.utils import timezone
from drf_spectacular.utils import extend_schema_field, inline_serializer
from rest_framework import ISO_8601, serializers
from rest_framework.settings import api_settings

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


def money_text(amount, currency: str) -> str:
    return str(money.quantize(amount, currency) if currency else amount)


# Unbound field instances format dates and datetimes exactly as declared fields do.
_DATE = serializers.DateField()
_DATETIME = serializers.DateTimeField()
_ISO_DATETIMES = settings.USE_TZ and api_settings.DATETIME_FORMAT == ISO_8601


def date_text(value) -> str | None:
    return None if value is None else _DATE.to_representation(value)


def text(value) -> str | None:
    return None if value is None else str(value)


def datetime_text(value) -> str | None:
    """As DRF's DateTimeField writes it (ISO 8601 in the current time zone, "Z" for UTC),
    without its per-value lookups: a list page writes a hundred of these."""
    if value is None:
        return None
    if not _ISO_DATETIMES or not timezone.is_aware(value):
        return _DATETIME.to_representation(value)
    text = value.astimezone(timezone.get_current_timezone()).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


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

    def to_representation(self, line: OrderLine) -> dict:
        return line_row(line, self.context.get("currency"))


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

    def to_representation(self, transaction: PaymentTransaction) -> dict:
        return transaction_row(transaction, self.context.get("currency"))


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

    def to_representation(self, payment: Payment) -> dict:
        return payment_row(payment, self.context.get("currency"))


class TrackingEventOutput(serializers.ModelSerializer):
    class Meta:
        model = TrackingEvent
        fields = ["carrier_event_id", "status", "description", "location", "occurred_at"]

    def to_representation(self, event: TrackingEvent) -> dict:
        return tracking_event_row(event)


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

    def to_representation(self, shipment: Shipment) -> dict:
        return shipment_row(shipment)


class OrderEventOutput(serializers.ModelSerializer):
    actor = serializers.SerializerMethodField()

    class Meta:
        model = OrderEvent
        fields = ["id", "type", "reason", "data", "actor", "created_at"]

    def get_actor(self, event: OrderEvent) -> dict:
        return {"kind": event.actor_kind, "label": event.actor_label}

    def to_representation(self, event: OrderEvent) -> dict:
        return order_event_row(event)


class OrderSummaryOutput(serializers.ModelSerializer):
    """A row of the order list. The declared fields give the schema; to_representation writes
    the row by hand, as a page serializes up to 200 of them (a tenth of the generic cost)."""

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

    def to_representation(self, order: Order) -> dict:
        return {
            "number": order.number,
            "status": order.status,
            "channel": order.channel,
            "external_reference": order.external_reference,
            "email": order.email,
            "currency": order.currency,
            "total": money_text(order.total, order.currency),
            "promised_delivery_date": date_text(order.promised_delivery_date),
            "created_at": datetime_text(order.created_at),
            "updated_at": datetime_text(order.updated_at),
        }


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

    def to_representation(self, delivery) -> dict:
        return notification_row(delivery)


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

    def to_representation(self, order: Order) -> dict:
        currency = order.currency
        return {
            "number": order.number,
            "status": order.status,
            "hold_reason": order.hold_reason,
            "channel": order.channel,
            "external_reference": order.external_reference,
            "customer": self.get_customer(order),
            "email": order.email,
            "phone": order.phone,
            "locale": order.locale,
            "shipping_address": order.shipping_address,
            "billing_address": order.billing_address,
            "shipping_method": order.shipping_method,
            "shipping_price": money_text(order.shipping_price, currency),
            "currency": currency,
            "totals": self.get_totals(order),
            "promised_delivery_date": date_text(order.promised_delivery_date),
            "placed_by": self.get_placed_by(order),
            "note": order.note,
            "created_at": datetime_text(order.created_at),
            "updated_at": datetime_text(order.updated_at),
            "lines": [line_row(line, currency) for line in order.lines.all()],
            "payments": [payment_row(payment, currency) for payment in order.payments.all()],
            "shipments": [shipment_row(shipment) for shipment in order.shipments.all()],
            "timeline": [order_event_row(event) for event in order.events.all()],
            "notifications": [notification_row(d) for d in order.notifications_sent],
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


# The rows the output serializers write. The serializers above declare their fields for the
# schema; their to_representation calls these instead of DRF's generic field walk, which costs
# more than the queries on an order detail (ModelSerializer builds its fields on every use).


def line_row(line: OrderLine, currency: str | None) -> dict:
    currency = getattr(line, "currency", None) or currency
    return {
        "id": line.id,
        "line_number": line.line_number,
        "sku": line.sku,
        "name": line.name,
        "quantity": line.quantity,
        "unit_price": money_text(line.unit_price, currency),
        "discount": money_text(line.discount, currency),
        "quantity_cancelled": line.quantity_cancelled,
        "quantity_shipped": line.quantity_shipped,
        "quantity_returned": line.quantity_returned,
        "is_final_sale": line.is_final_sale,
    }


def transaction_row(transaction: PaymentTransaction, currency: str | None) -> dict:
    return {
        "id": transaction.id,
        "kind": transaction.kind,
        "amount": money_text(transaction.amount, currency),
        "status": transaction.status,
        "gateway_reference": transaction.gateway_reference,
        "error_code": transaction.error_code,
        "error_message": transaction.error_message,
        "reason": transaction.reason,
        "actor": transaction.actor_label,
        "created_at": datetime_text(transaction.created_at),
    }


def payment_row(payment: Payment, order_currency: str | None) -> dict:
    currency = payment.currency or order_currency
    return {
        "id": payment.id,
        "gateway": payment.gateway,
        "method_label": payment.method_label,
        "reference": payment.reference,
        "currency": payment.currency,
        "status": payment.status,
        "amount_authorized": money_text(payment.amount_authorized, currency),
        "amount_captured": money_text(payment.amount_captured, currency),
        "amount_refunded": money_text(payment.amount_refunded, currency),
        # Transactions carry no currency of their own: the order's, as MoneyField reads it.
        "transactions": [transaction_row(t, order_currency) for t in payment.transactions.all()],
    }


def tracking_event_row(event: TrackingEvent) -> dict:
    return {
        "carrier_event_id": event.carrier_event_id,
        "status": event.status,
        "description": event.description,
        "location": event.location,
        "occurred_at": datetime_text(event.occurred_at),
    }


def shipment_row(shipment: Shipment) -> dict:
    return {
        "number": shipment.number,
        "order": shipment.order.number,
        "warehouse": shipment.warehouse.code,
        "status": shipment.status,
        "carrier": shipment.carrier,
        "service": shipment.service,
        "tracking_number": shipment.tracking_number,
        "promised_delivery_date": date_text(shipment.promised_delivery_date),
        "estimated_delivery_date": date_text(shipment.estimated_delivery_date),
        "shipped_at": datetime_text(shipment.shipped_at),
        "delivered_at": datetime_text(shipment.delivered_at),
        "lines": [
            {"line_id": item.line_id, "sku": item.line.sku, "quantity": item.quantity}
            for item in shipment.lines.all()
        ],
        "tracking_events": [tracking_event_row(e) for e in shipment.tracking_events.all()],
    }


def order_event_row(event: OrderEvent) -> dict:
    return {
        "id": event.id,
        "type": event.type,
        "reason": event.reason,
        "data": event.data,
        "actor": {"kind": event.actor_kind, "label": event.actor_label},
        "created_at": datetime_text(event.created_at),
    }


def notification_row(delivery) -> dict:
    return {
        "event_type": text(delivery.event_type),
        "channel": text(delivery.channel),
        "target": text(delivery.target),
        "status": text(delivery.status),
        "detail": text(delivery.detail),
        "attempts": None if delivery.attempts is None else int(delivery.attempts),
        "last_error": text(delivery.last_error),
        "sent_at": datetime_text(delivery.sent_at),
        "created_at": datetime_text(delivery.created_at),
    }
