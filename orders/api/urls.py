from django.urls import path

from orders.api import views

urlpatterns = [
    path("orders/", views.OrderListCreateApi.as_view(), name="api-orders"),
    path("orders/<str:number>/", views.OrderDetailApi.as_view(), name="api-order"),
    path("orders/<str:number>/cancel/", views.OrderCancelApi.as_view(), name="api-order-cancel"),
    path("orders/<str:number>/hold/", views.OrderHoldApi.as_view(), name="api-order-hold"),
    path("orders/<str:number>/release/", views.OrderReleaseApi.as_view(), name="api-order-release"),
    path(
        "orders/<str:number>/shipments/",
        views.OrderShipmentCreateApi.as_view(),
        name="api-order-shipments",
    ),
    path("shipments/<str:number>/", views.ShipmentDetailApi.as_view(), name="api-shipment"),
    path("shipments/<str:number>/pick/", views.ShipmentPickApi.as_view(), name="api-shipment-pick"),
    path("shipments/<str:number>/pack/", views.ShipmentPackApi.as_view(), name="api-shipment-pack"),
    path("shipments/<str:number>/ship/", views.ShipmentShipApi.as_view(), name="api-shipment-ship"),
    path("tracking-events/", views.TrackingEventCreateApi.as_view(), name="api-tracking-events"),
    path("products/", views.ProductListApi.as_view(), name="api-products"),
    path("products/<int:product_id>/", views.ProductDetailApi.as_view(), name="api-product"),
    path("variants/<str:sku>/", views.VariantDetailApi.as_view(), name="api-variant"),
    path("warehouses/", views.WarehouseListApi.as_view(), name="api-warehouses"),
    path("stock/", views.StockListApi.as_view(), name="api-stock"),
    path("stock/adjustments/", views.StockAdjustApi.as_view(), name="api-stock-adjust"),
    path("customers/", views.CustomerListApi.as_view(), name="api-customers"),
    path("customers/<int:customer_id>/", views.CustomerDetailApi.as_view(), name="api-customer"),
]
