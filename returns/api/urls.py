from django.urls import path

from returns.api import views

urlpatterns = [
    path("returns/", views.ReturnListCreateApi.as_view(), name="api-returns"),
]
