"""Customer-facing pages of the support app (no login): the satisfaction survey."""

from django.urls import path

from support.views import survey

urlpatterns = [
    path("survey/<str:token>/", survey.survey, name="case-survey"),
    path("survey/<str:token>/thanks/", survey.survey_thanks, name="case-survey-thanks"),
]
