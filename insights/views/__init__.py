"""Insights console pages; each module lists its own routes, gathered here. The alerts come
before the measure pages so that `alerts/` is never read as a measure's code."""

from insights.views import alerts, dashboard, drilldown, measures

urlpatterns = [
    *dashboard.urlpatterns,
    *alerts.urlpatterns,
    *drilldown.urlpatterns,
    *measures.urlpatterns,
]
