"""Who may see what in the portal: the orders this browser proved it may open, kept in the
session. Every portal URL after the lookup goes through `order_for` or `return_for`, which answer
404 for anything else (never 403: a guesser must not learn that an order or an RMA exists)."""

from django.conf import settings
from django.http import Http404, HttpRequest
from django.utils import translation

from orders.models import Order
from returns.models import ReturnRequest

GRANTS_KEY = "returns_orders"
PENDING_KEY = "returns_pending"  # the order number a code was asked for, whatever the answer
MAX_GRANTS = 10
# A portal session lasts this long after the last grant (the link itself lasts longer).
SESSION_SECONDS = 60 * 60 * 24


def client_ip(request: HttpRequest) -> str:
    """The address the rate limits count. REMOTE_ADDR only: a header the client sends (such as
    X-Forwarded-For) would let a guesser pick a new address per try; behind a proxy, the proxy
    sets REMOTE_ADDR (uvicorn --proxy-headers with --forwarded-allow-ips)."""
    return request.META.get("REMOTE_ADDR") or "unknown"


def granted_numbers(request: HttpRequest) -> list[str]:
    numbers = request.session.get(GRANTS_KEY)
    return [n for n in numbers if isinstance(n, str)] if isinstance(numbers, list) else []


def grant(request: HttpRequest, number: str) -> None:
    """Let this browser open the order (a code or a link proved it may). A new session key, as
    at a login, so a session id planted before the proof is worth nothing after it."""
    numbers = [n for n in granted_numbers(request) if n != number]
    request.session.cycle_key()
    request.session[GRANTS_KEY] = [*numbers, number][-MAX_GRANTS:]
    request.session.pop(PENDING_KEY, None)
    request.session.set_expiry(SESSION_SECONDS)


def set_pending(request: HttpRequest, number: str) -> None:
    request.session[PENDING_KEY] = number


def pending_number(request: HttpRequest) -> str | None:
    number = request.session.get(PENDING_KEY)
    return number if isinstance(number, str) and number else None


def _not_found() -> Http404:
    return Http404("Not found")


def order_for(request: HttpRequest, number: str) -> Order:
    """The order, if this browser was granted it; 404 otherwise (and if it does not exist)."""
    if number not in granted_numbers(request):
        raise _not_found()
    order = Order.objects.select_related("customer").filter(number=number).first()
    if order is None:
        raise _not_found()
    speak_their_language(request, order)
    return order


def return_for(request: HttpRequest, rma: str) -> ReturnRequest:
    """The return, if its own order was granted to this browser; 404 otherwise."""
    return_request = (
        ReturnRequest.objects.select_related("order", "order__customer", "exchange_order")
        .filter(rma=rma.strip().upper())
        .first()
    )
    if return_request is None:
        raise _not_found()
    if return_request.order.number not in granted_numbers(request):
        raise _not_found()
    speak_their_language(request, return_request.order)
    return return_request


def speak_their_language(request: HttpRequest, order: Order) -> None:
    """The language the order's emails are written in, unless the customer chose another."""
    if settings.LANGUAGE_COOKIE_NAME not in request.COOKIES:
        translation.activate(order.locale)
        request.LANGUAGE_CODE = translation.get_language()
