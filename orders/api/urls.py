from django.urls import path, register_converter

from orders.api import edits, views


class CodeConverter:
    """Order and shipment numbers, SKUs: printable codes only (no NUL or slashes)."""

    regex = r"[A-Za-z0-9._-]{1,64}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(CodeConverter, "code")

urlpatterns = [
    path("orders/", views.OrderListCreateApi.as_view(), name="api-orders"),
    path("orders/<code:number>/", views.OrderDetailApi.as_view(), name="api-order"),
    path("orders/<code:number>/cancel/", views.OrderCancelApi.as_view(), name="api-order-cancel"),
    path(
        "orders/<code:number>/edits/preview/",
        edits.OrderEditPreviewApi.as_view(),
        name="api-order-edit-preview",
    ),
    path("orders/<code:number>/edits/", edits.OrderEditApi.as_view(), name="api-order-edit"),
    path("orders/<code:number>/hold/", views.OrderHoldApi.as_view(), name="api-order-hold"),
    path(
        "orders/<code:number>/release/", views.OrderReleaseApi.as_view(), name="api-order-release"
    ),
    path(
        "orders/<code:number>/shipments/",
        views.OrderShipmentCreateApi.as_view(),
        name="api-order-shipments",
    ),
    path("shipments/<code:number>/", views.ShipmentDetailApi.as_view(), name="api-shipment"),
    path(
        "shipments/<code:number>/pick/", views.ShipmentPickApi.as_view(), name="api-shipment-pick"
    ),
    path(
        "shipments/<code:number>/pack/", views.ShipmentPackApi.as_view(), name="api-shipment-pack"
    ),
    path(
        "shipments/<code:number>/ship/", views.ShipmentShipApi.as_view(), name="api-shipment-ship"
    ),
    path("tracking-events/", views.TrackingEventCreateApi.as_view(), name="api-tracking-events"),
    path("products/", views.ProductListApi.as_view(), name="api-products"),
    path("products/<int:product_id>/", views.ProductDetailApi.as_view(), name="api-product"),
    path("variants/<code:sku>/", views.VariantDetailApi.as_view(), name="api-variant"),
    path("warehouses/", views.WarehouseListApi.as_view(), name="api-warehouses"),
    path("stock/", views.StockListApi.as_view(), name="api-stock"),
    path("stock/adjustments/", views.StockAdjustApi.as_view(), name="api-stock-adjust"),
    path("customers/", views.CustomerListApi.as_view(), name="api-customers"),
    path("customers/<int:customer_id>/", views.CustomerDetailApi.as_view(), name="api-customer"),
]
