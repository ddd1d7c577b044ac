"""Feedback's console pages under /console/feedback/: the review moderation queue."""

app_name = "feedback"

urlpatterns: list = []
