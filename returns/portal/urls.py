from django.urls import path

from returns.portal import views

urlpatterns = [
    path("returns/", views.start, name="returns-start"),
]
