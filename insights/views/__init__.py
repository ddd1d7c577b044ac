"""Insights console pages; each module lists its own routes, gathered here."""

from django.urls import path

from insights.views import dashboard

urlpatterns = [
    path("", dashboard.overview, name="overview"),
]
