"""Review and survey pages reached from the signed links in emails (/feedback/…)."""

urlpatterns: list = []
