"""REST API of the notifications app (webhook endpoints, deliveries), under /api/v1/."""

from django.urls import path

from notifications.api import views

urlpatterns = [
    path(
        "webhook-endpoints/",
        views.WebhookEndpointListCreateApi.as_view(),
        name="api-webhook-endpoints",
    ),
    path(
        "webhook-endpoints/<int:endpoint_id>/",
        views.WebhookEndpointDetailApi.as_view(),
        name="api-webhook-endpoint",
    ),
    path(
        "webhook-endpoints/<int:endpoint_id>/rotate-secret/",
        views.WebhookEndpointRotateSecretApi.as_view(),
        name="api-webhook-endpoint-rotate-secret",
    ),
    path(
        "webhook-endpoints/<int:endpoint_id>/deliveries/",
        views.WebhookEndpointDeliveryListApi.as_view(),
        name="api-webhook-endpoint-deliveries",
    ),
    path(
        "webhook-deliveries/<int:delivery_id>/replay/",
        views.WebhookDeliveryReplayApi.as_view(),
        name="api-webhook-delivery-replay",
    ),
]
