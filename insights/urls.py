"""The insights pages in the console, mounted at /console/insights/ (namespace "insights")."""

from insights.views import urlpatterns as view_urlpatterns

app_name = "insights"

urlpatterns = [*view_urlpatterns]
