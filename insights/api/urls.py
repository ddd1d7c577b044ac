"""The insights REST API, mounted at /api/v1/ (insights.api.views)."""

from django.urls import path

from insights.api import views

urlpatterns = [
    path("insights/measures/", views.MeasureListApi.as_view(), name="api-insights-measures"),
    path(
        "insights/measures/<slug:code>/",
        views.MeasureRowsApi.as_view(),
        name="api-insights-measure",
    ),
    path(
        "insights/measures/<slug:code>/orders/",
        views.MeasureOrdersApi.as_view(),
        name="api-insights-measure-orders",
    ),
    path("insights/alerts/", views.AlertListApi.as_view(), name="api-insights-alerts"),
]
