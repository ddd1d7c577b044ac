"""A customer can never see or act on another customer's order or return in the portal: every
portal URL, tried with someone else's order number or RMA while holding access to one's own
order, answers 404 (never 403: nothing confirms the other order exists) and changes nothing."""

import pytest
from asgiref.sync import async_to_sync
from django.test import Client

from notifications.models import OutboxMessage
from orders.models import Order
from returns.models import ReturnEvent, ReturnRequest, ReturnStatus
from returns.portal import access
from returns.portal.views import status as status_views
from tests.returns.portal_helpers import delivered, open_order, request_refund, store_policy

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(client):
    """Ana holds access to her own order; Bob's order and return exist too."""
    store_policy()
    mine = delivered(email="ana@example.com", country="BR")
    theirs = delivered(email="bob@example.com", country="BR")
    my_return = request_refund(mine)
    their_return = request_refund(theirs)
    open_order(client, mine)
    return {"mine": mine, "theirs": theirs, "my_return": my_return, "their_return": their_return}


def form_data(order: Order) -> dict:
    line = order.lines.get(sku="TEE-M")
    return {
        "form_token": "f" * 32,
        f"quantity_{line.pk}": "1",
        f"reason_{line.pk}": "size_too_small",
        "resolution": "refund",
        "action": "submit",
    }


def urls(world) -> dict[str, tuple[str, str, dict]]:
    """Every portal URL past the lookup, pointed at Bob's order or return."""
    theirs, their_return = world["theirs"], world["their_return"]
    number, rma = theirs.number, their_return.rma
    line = theirs.lines.get(sku="TEE-M")
    return {
        "order page": ("get", f"/returns/o/{number}/", {}),
        "submit": ("post", f"/returns/o/{number}/", form_data(theirs)),
        "preview": ("post", f"/returns/o/{number}/", {**form_data(theirs), "action": "preview"}),
        "estimate": ("post", f"/returns/o/{number}/estimate/", form_data(theirs)),
        "exchange stock": ("get", f"/returns/o/{number}/lines/{line.pk}/variants/", {}),
        "withdrawal form": ("get", f"/returns/o/{number}/withdraw/", {}),
        "withdraw": ("post", f"/returns/o/{number}/withdraw/", {"form_token": "w" * 32}),
        "return status": ("get", f"/returns/r/{rma}/", {}),
        "status fragment": ("get", f"/returns/r/{rma}/fragment/", {}),
        "label": ("get", f"/returns/r/{rma}/label.pdf", {}),
        "cancel form": ("get", f"/returns/r/{rma}/cancel/", {}),
        "cancel": ("post", f"/returns/r/{rma}/cancel/", {}),
        "events": ("get", f"/returns/r/{rma}/events/", {}),
    }


URL_NAMES = [
    "order page",
    "submit",
    "preview",
    "estimate",
    "exchange stock",
    "withdrawal form",
    "withdraw",
    "return status",
    "status fragment",
    "label",
    "cancel form",
    "cancel",
    "events",
]


def snapshot() -> dict:
    return {
        "returns": list(ReturnRequest.objects.order_by("pk").values_list("pk", "status")),
        "events": ReturnEvent.objects.count(),
        "outbox": OutboxMessage.objects.count(),
    }


def call(client, method: str, url: str, data: dict):
    return getattr(client, method)(url, data) if data or method == "post" else client.get(url)


def test_every_portal_url_is_covered(world):
    assert set(urls(world)) == set(URL_NAMES)


@pytest.mark.parametrize("name", URL_NAMES)
def test_someone_elses_order_or_return_is_404_and_nothing_changes(client, world, name):
    method, url, data = urls(world)[name]
    before = snapshot()

    response = call(client, method, url, data)

    assert response.status_code == 404, (name, response.status_code)
    assert snapshot() == before
    assert not response.streaming
    assert b"bob@example.com" not in response.content
    if name != "events":  # the stream is an async view: Django's own 404 page
        assert response.templates[0].name == "returns/portal/not_found.html"


@pytest.mark.parametrize("name", URL_NAMES)
def test_an_unknown_order_or_return_gets_the_same_404_as_someone_elses(client, world, name):
    method, url, data = urls(world)[name]
    theirs, their_return = world["theirs"], world["their_return"]
    unknown_url = url.replace(theirs.number, "999999").replace(their_return.rma, "R999999-1")

    known = call(client, method, url, data)
    unknown = call(client, method, unknown_url, data)

    assert known.status_code == unknown.status_code == 404
    assert [t.name for t in known.templates] == [t.name for t in unknown.templates]


@pytest.mark.parametrize("name", URL_NAMES)
def test_without_any_access_every_portal_url_is_404(world, name):
    method, url, data = urls(world)[name]
    stranger = Client()
    before = snapshot()

    assert call(stranger, method, url, data).status_code == 404
    assert snapshot() == before


def test_my_own_urls_work_with_the_same_session(client, world):
    mine, my_return = world["mine"], world["my_return"]
    line = mine.lines.get(sku="TEE-M")

    assert client.get(f"/returns/o/{mine.number}/").status_code == 200
    assert client.get(f"/returns/o/{mine.number}/lines/{line.pk}/variants/").status_code == 200
    assert client.get(f"/returns/r/{my_return.rma}/").status_code == 200
    assert client.get(f"/returns/r/{my_return.rma}/fragment/").status_code == 200
    assert client.get(f"/returns/r/{my_return.rma}/label.pdf").status_code == 200


def test_a_line_of_someone_elses_order_under_my_order_number_is_404(client, world):
    mine, theirs = world["mine"], world["theirs"]
    their_line = theirs.lines.get(sku="TEE-M")

    response = client.get(f"/returns/o/{mine.number}/lines/{their_line.pk}/variants/")

    assert response.status_code == 404


def test_someone_elses_lines_posted_to_my_order_are_ignored(client, world):
    mine, theirs = world["mine"], world["theirs"]
    before = snapshot()
    their_line = theirs.lines.get(sku="TEE-M")

    response = client.post(
        f"/returns/o/{mine.number}/",
        {
            "form_token": "x" * 32,
            f"quantity_{their_line.pk}": "1",
            f"reason_{their_line.pk}": "size_too_small",
            "resolution": "refund",
            "action": "submit",
        },
    )

    assert response.status_code == 400
    assert snapshot() == before


def test_a_form_token_someone_else_used_never_shows_their_return(client, world):
    mine, theirs = world["mine"], world["theirs"]
    their_second = request_refund(theirs, idempotency_reference="portal:" + "t" * 32)
    before = snapshot()

    response = client.post(
        f"/returns/o/{mine.number}/", {**form_data(mine), "form_token": "t" * 32}
    )

    assert response.status_code == 400
    assert their_second.rma.encode() not in response.content
    assert snapshot() == before


def test_cancelling_my_return_leaves_theirs_alone(client, world):
    my_return, their_return = world["my_return"], world["their_return"]

    client.post(f"/returns/r/{my_return.rma}/cancel/")

    my_return.refresh_from_db()
    their_return.refresh_from_db()
    assert my_return.status == ReturnStatus.CANCELLED
    assert their_return.status != ReturnStatus.CANCELLED


async def read(response) -> bytes:
    return b"".join([chunk async for chunk in response.streaming_content])


def test_the_event_stream_listens_to_its_own_return_topic_only(client, world, monkeypatch):
    heard = {}

    async def fake_stream(topics, after, **kwargs):
        heard["topics"] = topics
        heard["present"] = kwargs["present"]
        yield "retry: 3000\n\n"

    monkeypatch.setattr(status_views.streams, "event_stream", fake_stream)

    response = client.get(f"/returns/r/{world['my_return'].rma}/events/")

    assert response.status_code == 200
    assert response["Content-Type"] == "text/event-stream"
    assert async_to_sync(read)(response) == b"retry: 3000\n\n"
    assert heard["topics"] == [f"return:{world['my_return'].rma}"]


def test_the_stream_tells_the_browser_the_status_and_nothing_internal(world):
    from notifications.models import LiveEvent

    event = LiveEvent(
        topic=f"return:{world['my_return'].rma}",
        event_type="return.rejected",
        payload={
            "order": {"number": "1", "email": "ana@example.com", "total": "10.00"},
            "return": {"rma": world["my_return"].rma, "status": "rejected"},
            "event": {"reason": "suspected abuse", "actor": "supervisor"},
        },
    )

    presented = status_views.customer_event(event)

    assert presented == {
        "event_type": "return.rejected",
        "return": {"rma": world["my_return"].rma, "status": "rejected"},
    }


def test_a_session_cannot_be_forged_by_posting_grants(client, world):
    theirs = world["theirs"]

    client.post("/returns/", {access.GRANTS_KEY: theirs.number, "order_number": theirs.number})

    assert theirs.number not in client.session.get(access.GRANTS_KEY, [])
    assert client.get(f"/returns/o/{theirs.number}/").status_code == 404
