"""The insights overview page (supervisors and admins)."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from support.access import console_view


@console_view("view_insights")
def overview(request: HttpRequest) -> HttpResponse:
    return render(request, "insights/overview.html", {})
