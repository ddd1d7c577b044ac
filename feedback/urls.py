"""Feedback's console pages under /console/feedback/: the review moderation queue."""

from feedback.views import reviews

app_name = "feedback"

urlpatterns = [*reviews.urlpatterns]
