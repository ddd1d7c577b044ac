"""The console's home: the three queues (open cases, approvals waiting, flagged orders) with
their counts and oldest items, the nav badge's number, and the flagged-orders list; all in a
fixed number of queries however long the queues are."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group, User
from django.urls import reverse
from django.utils import timezone

from orders import services
from orders.models import Order, Shipment
from support.models import ApprovalRequest, Case
from support.selectors.queues import get_queue_counts, list_flagged
from tests.factories import CustomerFactory, StockFactory, VariantFactory, WarehouseFactory
from tests.orders.builders import ACTOR, order_input
from tests.returns.lifecycle_builders import delivered_order, request, store_policy, wanted

pytestmark = pytest.mark.django_db


def login(client, username: str, role: str) -> User:
    user = User.objects.create_user(username, password="x", is_staff=True)
    user.groups.add(Group.objects.get(name=role))
    client.force_login(user)
    return user


@pytest.fixture
def agent(client):
    return login(client, "agent-home", "agent")


def stocked_sku(code: str = "MUG-1") -> str:
    variant = VariantFactory(sku=code)
    StockFactory(variant=variant, warehouse=WarehouseFactory(code="EAST"), on_hand=500)
    return variant.sku


@pytest.fixture
def sku(db):
    return stocked_sku()


def place(sku: str) -> Order:
    return services.place_order(data=order_input([(sku, 1)]), actor=ACTOR)


def open_case(subject: str, *, hours_ago: int, status: str = Case.Status.OPEN, order=None):
    opened = timezone.now() - timedelta(hours=hours_ago)
    return Case.objects.create(
        customer=order.customer if order else CustomerFactory(),
        order=order,
        channel=Case.Channel.PHONE,
        reason=Case.Reason.DELAY,
        subject=subject,
        status=status,
        opened_at=opened,
        last_contact_at=opened,
        resolved_at=opened if status == Case.Status.RESOLVED else None,
    )


def ask_approval(order: Order, user: User, amount: str = "40.00") -> ApprovalRequest:
    return ApprovalRequest.objects.create(
        action="goodwill_credit",
        order=order,
        amount=Decimal(amount),
        currency=order.currency,
        reason_code="late_delivery",
        note="Waited two weeks",
        requested_by=user,
    )


def flag_attention(order: Order, reason: str = "Parcel late", days_ago: int = 1) -> None:
    Order.objects.filter(pk=order.pk).update(
        needs_attention=True,
        attention_reason=reason,
        attention_at=timezone.now() - timedelta(days=days_ago),
    )


@pytest.fixture
def queues(sku, agent):
    """Two open cases and a resolved one, one pending and one decided approval, and one order
    in each flagged state."""
    attention, exception, held, quiet = (place(sku) for _ in range(4))
    flag_attention(attention)
    shipment = exception.shipments.first()
    Shipment.objects.filter(pk=shipment.pk).update(status=Shipment.Status.EXCEPTION)
    services.hold_order(order=held, actor=ACTOR, reason="Fraud review")
    old = open_case("Where is my parcel", hours_ago=50, order=quiet)
    new = open_case("Wrong size", hours_ago=2, status=Case.Status.WAITING_ON_CUSTOMER)
    open_case("Thanks", hours_ago=80, status=Case.Status.RESOLVED)
    supervisor = User.objects.create_user("boss-home")
    pending = ask_approval(quiet, agent)
    decided = ask_approval(held, agent, "12.00")
    ApprovalRequest.objects.filter(pk=decided.pk).update(status="rejected", decided_by=supervisor)
    return {
        "attention": attention,
        "exception": exception,
        "held": held,
        "old_case": old,
        "new_case": new,
        "pending": pending,
    }


def test_counts_cover_each_queue(queues):
    counts = get_queue_counts()
    assert (counts.open_cases, counts.pending_approvals) == (2, 1)
    assert (counts.attention, counts.exceptions, counts.on_hold) == (1, 1, 1)
    assert counts.flagged == 3
    assert counts.total() == 6 and counts.total(include_approvals=False) == 5


def test_home_shows_the_oldest_case_first_with_its_age(client, queues):
    response = client.get(reverse("console:home"))
    html = response.content.decode()
    assert response.status_code == 200
    assert html.index("Where is my parcel") < html.index("Wrong size")
    assert "Thanks" not in html  # resolved
    assert "2d" in html  # the old case's age
    assert f"#{queues['pending'].order.number}" in html and "$40.00" in html
    for order in (queues["attention"], queues["exception"], queues["held"]):
        assert f"/console/orders/{order.number}/" in html
    for name in ("console:cases", "console:approvals", "console:flagged-orders"):
        assert f'href="{reverse(name)}' in html


def test_home_costs_the_same_queries_with_long_queues(
    client, queues, sku, agent, django_assert_max_num_queries
):
    with django_assert_max_num_queries(40) as short:
        client.get(reverse("console:home"))
    for index in range(15):
        order = place(sku)
        open_case(f"Case {index}", hours_ago=index, order=order)
        ask_approval(order, agent)
        flag_attention(order)
    with django_assert_max_num_queries(len(short.captured_queries)):
        response = client.get(reverse("console:home"))
    assert response.status_code == 200


def test_the_badge_is_the_total_and_empty_when_nothing_waits(client, agent):
    url = reverse("console:queue-counts") + "?format=badge"
    assert client.get(url).content == b""
    flag_attention(place(stocked_sku()))
    open_case("Where is my parcel", hours_ago=1)
    assert client.get(url).content == b"2"


def test_the_badge_counts_approvals_only_for_those_who_decide_them(client, queues):
    url = reverse("console:queue-counts") + "?format=badge"
    assert client.get(url).content == b"5"
    login(client, "supervisor-home", "supervisor")
    assert client.get(url).content == b"6"


def test_queue_counts_fragment_is_the_cards_without_the_layout(client, queues):
    response = client.get(reverse("console:queue-counts"), HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html and "Open cases" in html and "Where is my parcel" in html


def test_flagged_list_merges_every_reason_and_filters_by_one(client, queues):
    rows = list_flagged()
    assert {row.order.pk: row.reasons for row in rows} == {
        queues["attention"].pk: ["attention"],
        queues["exception"].pk: ["exception"],
        queues["held"].pk: ["on_hold"],
    }
    assert [row.order for row in list_flagged("on_hold")] == [queues["held"]]

    response = client.get(reverse("console:flagged-orders"), {"reason": "attention"})
    html = response.content.decode()
    assert response.status_code == 200
    assert queues["attention"].number in html and "Parcel late" in html
    assert f"#{queues['held'].number}" not in html

    everything = client.get(reverse("console:flagged-orders")).content.decode()
    assert "Fraud review" in everything and "Carrier exception" in everything


def test_an_order_held_and_flagged_is_listed_once_with_both_reasons(queues):
    flag_attention(queues["held"], "Late parcel", days_ago=3)
    row = next(r for r in list_flagged() if r.order.pk == queues["held"].pk)
    assert sorted(row.reasons) == ["attention", "on_hold"]
    assert len([r for r in list_flagged() if r.order.pk == queues["held"].pk]) == 1


def test_returns_waiting_for_a_review_have_their_own_card_outside_the_badge(client, agent):
    store_policy()
    order = delivered_order(email="rui@example.com")
    request(order, wanted(order, "CAP", 1, reason="other"))  # "other" needs a review
    request(order, wanted(order, "TEE-M", 1))  # approved at once: not waiting

    html = client.get(reverse("console:home")).content.decode()

    assert get_queue_counts().returns_to_review == 1
    assert 'data-count="returns_to_review">1<' in html
    assert f'href="{reverse("console:returns")}?status=review"' in html
    assert client.get(reverse("console:queue-counts") + "?format=badge").content == b""
