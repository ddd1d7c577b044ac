"""One return in the console: its lines (requested, received, condition, disposition,
restocked), the customer's photos, the estimate against what went back, the exchange order,
what the policy's rules for its reasons imply, the timeline, links to the order and the
customer, the actions the rep's role and the return's state allow; the live body fragment;
linking it to the active case; and returns on the order page (with their steps on the order's
timeline, in words) and on the customer 360, all in a bounded number of queries."""

import pytest
from django.contrib.auth.models import Group, User
from django.urls import reverse
from django.utils import timezone

from orders.models import Stock
from returns.models import ReturnPhoto
from returns.services import receiving
from support.context import SESSION_KEY
from support.models import Case, CaseEvent
from tests.factories import StockFactory, VariantFactory
from tests.returns.lifecycle_builders import (
    ACTOR,
    delivered_order,
    photo,
    request,
    store_policy,
    wanted,
)

pytestmark = pytest.mark.django_db


def login(client, role: str) -> User:
    user = User.objects.create_user(f"{role}-page", is_staff=True)
    user.groups.add(Group.objects.get(name=role))
    client.force_login(user)
    return user


@pytest.fixture
def received(settings, tmp_path):
    """A refund of 2 x TEE-M, received (one as new, one damaged) with a photo; refunded on
    receipt as the test policy says."""
    settings.MEDIA_ROOT = tmp_path
    store_policy()
    order = delivered_order()
    return_request = request(
        order, wanted(order, "TEE-M", 2, reason="no_longer_wanted", comment="Too tight")
    )
    line = return_request.lines.get()
    ReturnPhoto.objects.create(line=line, image=photo(), content_type="image/jpeg", size=68)
    received = receiving.receive_return(
        return_request=return_request, lines=[(line.pk, 2, "opened")], actor=ACTOR
    )
    return {"order": order, "return": received}


def page(client, rma: str, **params):
    return client.get(reverse("console:return-detail", args=[rma]), params)


def test_the_return_page_shows_lines_money_policy_photos_and_timeline(client, received):
    login(client, "agent")
    r = received["return"]
    response = page(client, r.rma)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-status="refunded"' in html
    assert "Too tight" in html and "Opened, undamaged" in html
    assert html.count('class="photo-thumb"') == 1
    assert reverse("console:return-photo", args=[r.rma, ReturnPhoto.objects.get().pk]) in html
    assert "data-estimate>$36.00<" in html  # 40.00 less the 10 % restocking fee
    assert "data-refunded>$36.00<" in html
    assert "restocking fee 10%" in html and "customer pays return shipping" not in html
    assert "Return received" in html and "Refund released" in html
    assert f'href="/console/orders/{received["order"].number}/"' in html
    assert f'href="/console/customers/{r.customer_id}/"' in html
    assert 'data-action="inspect"' not in html  # agents do not inspect
    assert 'id="return-messages"' in html


def test_a_return_refunded_on_receipt_still_offers_its_inspection(client, received):
    login(client, "supervisor")
    html = page(client, received["return"].rma).content.decode()
    assert 'data-action="inspect"' in html and 'data-action="receive"' not in html
    assert 'data-action="cancel"' not in html  # the parcel is in


def test_reviewers_see_approve_and_reject_on_a_waiting_return_and_agents_do_not(client):
    store_policy()
    order = delivered_order()
    waiting = request(order, wanted(order, "CAP", 1, reason="other"))
    login(client, "agent")
    html = page(client, waiting.rma).content.decode()
    assert 'data-banner="review"' in html and "A supervisor decides." in html
    assert 'data-action="approve"' not in html and 'data-action="cancel"' in html
    login(client, "supervisor")
    html = page(client, waiting.rma).content.decode()
    assert 'data-action="approve"' in html and 'data-action="reject"' in html


def test_the_body_fragment_is_what_live_events_refresh(client, received):
    login(client, "agent")
    response = page(client, received["return"].rma, fragment="body")
    assert "<html" in response.content.decode()  # without htmx: the page
    response = client.get(
        reverse("console:return-detail", args=[received["return"].rma]),
        {"fragment": "body"},
        HTTP_HX_REQUEST="true",
    )
    html = response.content.decode()
    assert "<html" not in html and 'id="return-status"' in html


def test_the_return_page_costs_the_same_queries_for_many_lines_and_events(
    client, received, django_assert_max_num_queries
):
    login(client, "agent")
    with django_assert_max_num_queries(20) as baseline:
        page(client, received["return"].rma)
    skus = [f"SKU-{index}" for index in range(12)]
    order = delivered_order(tuple((sku, 2) for sku in skus), warehouse_code="NORTH")
    big = request(order, *[wanted(order, sku, 2, reason="no_longer_wanted") for sku in skus])
    lines = list(big.lines.all())
    for line in lines:  # a photo, a receipt and its events per line
        ReturnPhoto.objects.create(line=line, image=photo(), content_type="image/jpeg", size=68)
        receiving.receive_return(return_request=big, lines=[(line.pk, 1, "as_new")], actor=ACTOR)
    with django_assert_max_num_queries(len(baseline.captured_queries)):
        response = page(client, big.rma)
    assert response.content.decode().count('class="photo-thumb"') == 12


def test_linking_a_return_to_the_active_case(client, received):
    user = login(client, "agent")
    r = received["return"]
    url = reverse("console:return-link-case", args=[r.rma])
    refused = client.post(url, HTTP_HX_REQUEST="true")
    assert refused.status_code == 409 and refused["HX-Retarget"] == "#flash"
    now = timezone.now()
    case = Case.objects.create(
        customer=r.customer,
        channel=Case.Channel.PHONE,
        reason=Case.Reason.RETURN_EXCHANGE,
        subject="Where is my refund",
        opened_by=user,
        opened_at=now,
        last_contact_at=now,
    )
    session = client.session
    session[SESSION_KEY] = case.pk
    session.save()
    response = client.post(url, HTTP_HX_REQUEST="true")
    assert response.status_code == 204 and "return:changed" in response["HX-Trigger"]
    event = CaseEvent.objects.get(case=case, type=CaseEvent.Type.ACTION)
    assert event.data == {"action": "return_linked", "rma": r.rma}
    case.refresh_from_db()
    assert case.order_id == received["order"].pk  # the case adopts the return's order


def test_a_return_is_not_linked_to_another_customers_case(client, received):
    user = login(client, "agent")
    stranger = delivered_order((("SOCK", 1),), warehouse_code="WEST", email="bo@example.com")
    now = timezone.now()
    case = Case.objects.create(
        customer=stranger.customer,
        channel=Case.Channel.PHONE,
        reason=Case.Reason.OTHER,
        subject="Other",
        opened_by=user,
        opened_at=now,
        last_contact_at=now,
    )
    session = client.session
    session[SESSION_KEY] = case.pk
    session.save()
    url = reverse("console:return-link-case", args=[received["return"].rma])
    assert client.post(url, HTTP_HX_REQUEST="true").status_code == 409
    assert not CaseEvent.objects.filter(case=case, type=CaseEvent.Type.ACTION).exists()


def test_the_order_page_lists_returns_and_tells_their_steps_in_words(client, received):
    login(client, "agent")
    r = received["return"]
    html = client.get(reverse("console:order-detail", args=[received["order"].number]))
    html = html.content.decode()
    assert 'id="returns"' in html and f'data-rma="{r.rma}"' in html
    link = f'<a class="mono" href="/console/returns/{r.rma}/">{r.rma}</a>'
    assert f"Return {link} requested" in html
    assert f"Return {link} approved" in html
    assert f"Return {link} received" in html
    assert f"Refund released for return {link}" in html
    assert 'data-step="received"' in html and "Opened, undamaged" in html
    assert 'data-action="create-return"' in html


def test_the_order_page_costs_the_same_queries_with_ten_returns(
    client, django_assert_max_num_queries
):
    store_policy()
    order = delivered_order((("SOCK", 10),), warehouse_code="NORTH")
    request(order, wanted(order, "SOCK", 1))
    login(client, "agent")
    url = reverse("console:order-detail", args=[order.number])
    with django_assert_max_num_queries(30) as baseline:
        client.get(url)
    for _ in range(9):
        request(order, wanted(order, "SOCK", 1))
    with django_assert_max_num_queries(len(baseline.captured_queries)):
        html = client.get(url).content.decode()
    assert html.count("data-rma=") == 10


def test_the_customer_360_lists_the_customers_returns(client, received):
    login(client, "agent")
    r = received["return"]
    url = reverse("console:customer-detail", args=[r.customer_id])
    html = client.get(url).content.decode()
    assert f'data-rma="{r.rma}"' in html
    assert f'href="/console/orders/{received["order"].number}/"' in html
    assert "Refunded" in html


def test_messages_about_a_return_show_on_the_return_its_order_and_its_customer(
    client, django_capture_on_commit_callbacks
):
    store_policy()
    order = delivered_order()
    with django_capture_on_commit_callbacks(execute=True):
        r = request(order, wanted(order, "TEE-M", 1))
    login(client, "agent")
    return_page = page(client, r.rma).content.decode()
    order_page = client.get(reverse("console:order-detail", args=[order.number])).content
    customer_page = client.get(reverse("console:customer-detail", args=[r.customer_id])).content
    assert "return.approved" in return_page
    assert "return.approved" in order_page.decode()
    assert f'href="/console/returns/{r.rma}/">{r.rma}</a>' in customer_page.decode()


def test_an_exchange_shows_its_replacement_but_never_the_customers_signed_link(client):
    store_policy()
    order = delivered_order()
    tee = order.lines.get(sku="TEE-M").variant
    larger = VariantFactory(sku="TEE-L", product=tee.product, price=tee.price)
    StockFactory(variant=larger, warehouse=Stock.objects.get(variant=tee).warehouse, on_hand=5)
    r = request(
        order, wanted(order, "TEE-M", 2, exchange_variant_id=larger.pk), resolution="exchange"
    )
    (line,) = r.lines.all()
    receiving.receive_return(return_request=r, lines=[(line.pk, 2, "as_new")], actor=ACTOR)
    r.refresh_from_db()
    login(client, "agent")

    for html in (
        page(client, r.rma).content.decode(),
        client.get(reverse("console:order-detail", args=[order.number])).content.decode(),
    ):
        assert r.exchange_order.number in html
        assert "/track/" not in html
