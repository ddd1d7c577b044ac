"""Portal views (thin: rules live in returns.services and returns.policy)."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def start(request: HttpRequest) -> HttpResponse:
    return render(request, "returns/portal/start.html", {})
