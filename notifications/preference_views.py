"""The customer's preference centre (filled in by the email work)."""

from django.http import Http404, HttpRequest


def preferences(request: HttpRequest, token: str):
    raise Http404
