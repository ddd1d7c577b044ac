"""Support cases: the queue, opening a case for a customer (or one of their orders), a case with
its timeline and FCR state, notes, further contacts, status changes and the rep's active case.
Each module lists its views; the routes are here, in one place."""

from django.urls import path

from support.views.cases.active import case_activate, case_deactivate
from support.views.cases.page import case_contact, case_detail, case_note, case_status
from support.views.cases.queue import case_new, cases

urlpatterns = [
    path("cases/", cases, name="cases"),
    path("cases/new/", case_new, name="case-new"),
    path("cases/<int:case_id>/", case_detail, name="case-detail"),
    path("cases/<int:case_id>/note/", case_note, name="case-note"),
    path("cases/<int:case_id>/contact/", case_contact, name="case-contact"),
    path("cases/<int:case_id>/status/", case_status, name="case-status"),
    path("cases/<int:case_id>/activate/", case_activate, name="case-activate"),
    path("cases/deactivate/", case_deactivate, name="case-deactivate"),
]
