"""Server-sent event streams for staff (filled in by the real-time work)."""

from django.http import Http404, HttpRequest


async def staff_stream(request: HttpRequest):
    raise Http404
