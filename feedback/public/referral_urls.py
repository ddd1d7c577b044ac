"""The referral landing page (/r/<code>/)."""

urlpatterns: list = []
