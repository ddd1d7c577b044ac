"""Top-level URLs: admin, API v1 with its schema and docs, and each app's pages."""

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from oms import views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.health, name="health"),
    path("admin/", admin.site.urls),
    path("api/v1/", include("orders.api.urls")),
    path("api/v1/", include("notifications.api_urls")),
    path("api/v1/", include("returns.api.urls")),
    path("api/v1/", include("insights.api.urls")),
    path("api/v1/", include("feedback.api.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("api/redoc/", SpectacularRedocView.as_view(url_name="api-schema"), name="api-redoc"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("console/insights/", include("insights.urls")),
    path("console/feedback/", include("feedback.urls")),
    path("console/", include("support.urls")),
    path("", include("orders.urls")),
    path("", include("notifications.urls")),
    path("", include("support.public_urls")),
    path("", include("returns.urls")),
    path("", include("feedback.public_urls")),
]
