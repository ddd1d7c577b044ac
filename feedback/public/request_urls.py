"""Review and survey pages reached from the signed links in emails (/feedback/…)."""

from django.urls import path

from feedback.public import request_views

urlpatterns = [
    path(
        "feedback/return/<str:token>/", request_views.return_survey, name="feedback-return-survey"
    ),
    path(
        "feedback/return/<str:token>/thanks/",
        request_views.return_survey_thanks,
        name="feedback-return-survey-thanks",
    ),
    path("feedback/<str:token>/", request_views.review, name="feedback-review"),
    path(
        "feedback/<str:token>/thanks/", request_views.review_thanks, name="feedback-review-thanks"
    ),
]
