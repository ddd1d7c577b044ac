"""Admin for the order core: read-mostly views; changes go through services, not raw edits."""

from django.contrib import admin

from orders.models import (
    Customer,
    Order,
    OrderEvent,
    OrderLine,
    Payment,
    Product,
    SavedPaymentMethod,
    Shipment,
    Stock,
    StockMovement,
    Variant,
    Warehouse,
)


class VariantInline(admin.TabularInline):
    model = Variant
    extra = 0


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ["name", "category", "is_active"]
    list_filter = ["category", "is_active"]
    search_fields = ["name", "variants__sku"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [VariantInline]


@admin.register(Variant)
class VariantAdmin(admin.ModelAdmin):
    list_display = ["sku", "name", "price", "currency", "is_final_sale", "is_active"]
    search_fields = ["sku", "name"]
    list_select_related = ["product"]


@admin.register(Warehouse)
class WarehouseAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "country", "region", "priority", "is_active"]


@admin.register(Stock)
class StockAdmin(admin.ModelAdmin):
    list_display = ["variant", "warehouse", "on_hand", "allocated"]
    list_select_related = ["variant", "warehouse"]
    search_fields = ["variant__sku"]
    list_filter = ["warehouse"]
    # On-hand changes go through the audited adjustment service (API or console), not here.
    readonly_fields = ["variant", "warehouse", "on_hand", "allocated"]


@admin.register(StockMovement)
class StockMovementAdmin(admin.ModelAdmin):
    list_display = [
        "created_at",
        "stock",
        "kind",
        "on_hand_delta",
        "allocated_delta",
        "reason",
        "actor_label",
    ]
    list_filter = ["kind"]
    list_select_related = ["stock"]


class SavedPaymentMethodInline(admin.TabularInline):
    """Vault tokens the gateway gave back (never card numbers): what assisted orders charge."""

    model = SavedPaymentMethod
    extra = 0
    fields = ["label", "gateway", "token", "is_default", "created_at"]
    readonly_fields = ["created_at"]


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = ["name", "email", "phone", "locale", "country"]
    search_fields = ["name", "email", "phone"]
    inlines = [SavedPaymentMethodInline]


@admin.register(SavedPaymentMethod)
class SavedPaymentMethodAdmin(admin.ModelAdmin):
    list_display = ["label", "customer", "gateway", "is_default", "created_at"]
    list_filter = ["gateway", "is_default"]
    list_select_related = ["customer"]
    search_fields = ["customer__email", "customer__name", "label"]
    raw_id_fields = ["customer"]


class OrderLineInline(admin.TabularInline):
    model = OrderLine
    extra = 0
    can_delete = False
    readonly_fields = [
        "line_number",
        "sku",
        "name",
        "quantity",
        "unit_price",
        "discount",
        "quantity_cancelled",
        "quantity_shipped",
        "quantity_returned",
    ]
    fields = readonly_fields


class OrderEventInline(admin.TabularInline):
    model = OrderEvent
    extra = 0
    can_delete = False
    readonly_fields = ["created_at", "type", "actor_label", "reason", "data"]
    fields = readonly_fields


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    list_display = [
        "number",
        "status",
        "channel",
        "email",
        "total",
        "currency",
        "needs_attention",
        "created_at",
    ]
    list_filter = ["status", "channel", "needs_attention"]
    search_fields = ["number", "email", "external_reference"]
    readonly_fields = [f.name for f in Order._meta.fields]
    inlines = [OrderLineInline, OrderEventInline]


@admin.register(Shipment)
class ShipmentAdmin(admin.ModelAdmin):
    list_display = [
        "number",
        "status",
        "warehouse",
        "carrier",
        "tracking_number",
        "shipped_at",
        "delay_reason",
    ]
    list_filter = ["status", "carrier", "warehouse", "delay_reason"]
    search_fields = ["number", "tracking_number"]
    readonly_fields = [f.name for f in Shipment._meta.fields]


@admin.register(Payment)
class PaymentAdmin(admin.ModelAdmin):
    list_display = [
        "order",
        "method_label",
        "status",
        "amount_authorized",
        "amount_captured",
        "amount_refunded",
    ]
    list_filter = ["status", "gateway"]
    readonly_fields = [f.name for f in Payment._meta.fields]
