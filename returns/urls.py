"""The customer returns portal, mounted at /returns/ (returns.portal.views)."""

from returns.portal import urls

urlpatterns = urls.urlpatterns
