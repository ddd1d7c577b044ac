"""The console's money action panels and approval queue, through HTTP: preview first, then
confirm; above authority a request waits and nothing moves; refusals re-render with 400/403/409
and change nothing; the queue is bounded in queries whatever its length."""

import json
from decimal import Decimal

import pytest
from django.urls import reverse

from orders import services
from orders.models import Order, PaymentTransaction
from returns import selectors as credit
from support.models import ApprovalRequest
from support.services import approvals
from tests.orders.builders import ACTOR
from tests.support.money_actions import (
    everything_snapshot,
    money_snapshot,
    place,
    ship_everything,
    staff,
    stock_catalog,
)

pytestmark = pytest.mark.django_db
D = Decimal
HTMX = {"HTTP_HX_REQUEST": "true"}
Status = ApprovalRequest.Status


@pytest.fixture
def shipped(django_capture_on_commit_callbacks) -> Order:
    """2 x TEE-M + 5.00 shipping = 55.00, shipped and captured."""
    stock_catalog()
    order = place()
    with django_capture_on_commit_callbacks(execute=True):
        ship_everything(order)
    return order


@pytest.fixture
def agent(client):
    user = staff("agent", "maria")
    client.force_login(user)
    return user


def adjust_url(order) -> str:
    return reverse("console:order-adjust", args=[order.number])


def post(client, url, data, capture=None, **headers):
    if capture is None:
        return client.post(url, data, **headers)
    with capture(execute=True):
        return client.post(url, data, **headers)


def adjustment(**overrides) -> dict:
    data = {
        "target": "order",
        "amount": "10.00",
        "percentage": "",
        "reason_code": "late_delivery",
        "note": "Four days late",
    }
    data.update(overrides)
    return data


def refunds() -> list[Decimal]:
    return list(PaymentTransaction.objects.filter(kind="refund").values_list("amount", flat=True))


def test_the_panel_opens_in_the_side_panel_and_as_a_page(client, agent, shipped):
    fragment = client.get(adjust_url(shipped), **HTMX)
    page = client.get(adjust_url(shipped))

    assert fragment.status_code == page.status_code == 200
    html = fragment.content.decode()
    assert 'data-panel="adjust"' in html and "<html" not in html
    assert "Whole order" in html and "Shipping fee" in html and "TEE-M" in html
    assert 'name="preview"' in html and 'name="confirm"' not in html  # preview comes first
    assert "<html" in page.content.decode() and 'data-panel="adjust"' in page.content.decode()


def test_preview_shows_totals_money_effect_and_authority_without_changing_anything(
    client, agent, shipped
):
    before = everything_snapshot(shipped)

    within = client.post(adjust_url(shipped), {**adjustment(), "preview": "1"}, **HTMX)
    above = client.post(adjust_url(shipped), {**adjustment(amount="30"), "preview": "1"}, **HTMX)

    assert within.status_code == above.status_code == 200
    html = within.content.decode()
    assert "Applies at once" in html and "Refund $10.00 now" in html
    assert "$55.00" in html and "$45.00" in html and 'name="confirm"' in html
    above_html = above.content.decode()
    assert "Needs a supervisor's approval" in above_html
    assert "Your limit is 25.00 USD per action" in above_html
    assert "Send for approval" in above_html
    assert everything_snapshot(shipped) == before


def test_an_agents_confirm_above_authority_queues_and_moves_no_money(
    client, agent, shipped, django_capture_on_commit_callbacks
):
    before = money_snapshot(shipped)

    response = post(
        client,
        adjust_url(shipped),
        {**adjustment(amount="30"), "confirm": "1"},
        django_capture_on_commit_callbacks,
        **HTMX,
    )

    assert response.status_code == 204
    trigger = json.loads(response["HX-Trigger"])
    assert trigger["panel:close"] and trigger["order:changed"]
    assert "sent to a supervisor" in trigger["flash"]
    assert money_snapshot(shipped) == before
    request = ApprovalRequest.objects.get()
    assert (request.status, request.amount, request.requested_by) == (
        Status.PENDING,
        D("30.00"),
        agent,
    )


def test_within_authority_the_confirm_applies_and_refunds(
    client, agent, shipped, django_capture_on_commit_callbacks
):
    line = shipped.lines.get()
    response = post(
        client,
        adjust_url(shipped),
        {**adjustment(target=f"line-{line.pk}", amount="", percentage="10"), "confirm": "1"},
        django_capture_on_commit_callbacks,
        **HTMX,
    )

    assert response.status_code == 204, response.content
    assert "Price adjusted by $5.00" in json.loads(response["HX-Trigger"])["flash"]
    shipped.refresh_from_db()
    assert shipped.total == D("50.00") and refunds() == [D("5.00")]


def test_without_javascript_a_confirm_redirects_to_the_order(
    client, agent, shipped, django_capture_on_commit_callbacks
):
    response = post(
        client,
        adjust_url(shipped),
        {**adjustment(target="shipping", amount=""), "confirm": "1"},
        django_capture_on_commit_callbacks,
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("console:order-detail", args=[shipped.number])
    shipped.refresh_from_db()
    assert shipped.total == D("50.00")  # the 5.00 shipping was waived


@pytest.mark.parametrize(
    "data",
    [
        adjustment(amount=""),
        adjustment(amount="-1"),
        adjustment(amount="5", percentage="5"),
        adjustment(amount="99999"),
        adjustment(note=""),
        adjustment(reason_code=""),
        adjustment(target="line-0"),
    ],
)
def test_bad_input_is_re_rendered_with_400_and_changes_nothing(
    client, agent, shipped, data, django_capture_on_commit_callbacks
):
    before = everything_snapshot(shipped)
    for step in ("preview", "confirm"):
        response = post(
            client,
            adjust_url(shipped),
            {**data, step: "1"},
            django_capture_on_commit_callbacks,
            **HTMX,
        )
        assert response.status_code == 400
        assert 'data-panel="adjust"' in response.content.decode()
    assert everything_snapshot(shipped) == before


def test_a_percentage_that_changed_since_the_preview_is_not_applied(
    client, agent, shipped, django_capture_on_commit_callbacks
):
    before = everything_snapshot(shipped)
    response = post(
        client,
        adjust_url(shipped),
        {**adjustment(amount="", percentage="10"), "confirm": "1", "expected_amount": "4.00"},
        django_capture_on_commit_callbacks,
        **HTMX,
    )
    assert response.status_code == 400 and "Preview again" in response.content.decode()
    assert everything_snapshot(shipped) == before


def test_a_cancelled_order_is_a_409(client, agent, django_capture_on_commit_callbacks):
    stock_catalog()
    order = place()
    from orders import services
    from tests.orders.builders import ACTOR

    with django_capture_on_commit_callbacks(execute=True):
        services.cancel_order(order=order, actor=ACTOR, reason="asked")
    before = everything_snapshot(order)

    response = client.post(adjust_url(order), {**adjustment(), "confirm": "1"}, **HTMX)

    assert response.status_code == 409 and "cancelled" in response.content.decode()
    assert everything_snapshot(order) == before


def test_goodwill_panel_previews_the_balance_and_gives_credit(
    client, agent, shipped, django_capture_on_commit_callbacks
):
    url = reverse("console:order-goodwill", args=[shipped.number])
    data = {"amount": "15", "reason_code": "late_delivery", "note": "Late"}

    preview = client.post(url, {**data, "preview": "1"}, **HTMX)
    assert preview.status_code == 200 and "$15.00" in preview.content.decode()
    assert credit.balance(shipped.customer, "USD") == 0

    done = post(client, url, {**data, "confirm": "1"}, django_capture_on_commit_callbacks, **HTMX)

    assert done.status_code == 204
    assert credit.balance(shipped.customer, "USD") == D("15.00")


def test_goodwill_is_given_on_a_cancelled_order_too(
    client, agent, django_capture_on_commit_callbacks
):
    stock_catalog()
    order = place()
    with django_capture_on_commit_callbacks(execute=True):
        services.cancel_order(order=order, actor=ACTOR, reason="Out of patience")
    url = reverse("console:order-goodwill", args=[order.number])
    data = {"amount": "10", "reason_code": "service_recovery", "note": "Sorry", "confirm": "1"}

    assert client.get(url, **HTMX).status_code == 200
    done = post(client, url, data, django_capture_on_commit_callbacks, **HTMX)

    assert done.status_code == 204
    assert credit.balance(order.customer, "USD") == D("10.00")


def test_reship_panel_lists_shipped_lines_and_places_a_replacement(
    client, agent, shipped, django_capture_on_commit_callbacks
):
    url = reverse("console:order-reship", args=[shipped.number])
    line = shipped.lines.get()
    panel = client.get(url, **HTMX)
    assert f'name="qty_{line.pk}"' in panel.content.decode()
    data = {f"qty_{line.pk}": "1", "reason": "damaged", "note": "Torn seam"}

    preview = client.post(url, {**data, "preview": "1"}, **HTMX)
    assert preview.status_code == 200 and "Applies at once" in preview.content.decode()
    assert Order.objects.count() == 1

    done = post(client, url, {**data, "confirm": "1"}, django_capture_on_commit_callbacks, **HTMX)

    assert done.status_code == 204
    replacement = Order.objects.get(original_order=shipped)
    assert replacement.number in json.loads(done["HX-Trigger"])["flash"]
    too_many = client.post(url, {**data, f"qty_{line.pk}": "5", "confirm": "1"}, **HTMX)
    assert too_many.status_code == 400 and Order.objects.count() == 2


# --- The queue -------------------------------------------------------------------------------


def waiting_request(order, user, amount="30") -> ApprovalRequest:
    return approvals.request_price_adjustment(
        user=user, order=order, amount=amount, reason_code="price_match", note="Cheaper"
    ).request


def decide_url(request) -> str:
    return reverse("console:approval-decide", args=[request.pk])


def test_an_agent_cannot_approve_through_the_view(client, agent, shipped):
    request = waiting_request(shipped, staff("agent"))
    before = everything_snapshot(shipped)

    response = client.post(decide_url(request), {"decision": "approve", "note": "ok"}, **HTMX)

    assert response.status_code == 403
    assert everything_snapshot(shipped) == before
    page = client.get(reverse("console:approvals"))
    assert page.status_code == 200 and 'data-action="approve"' not in page.content.decode()


def test_a_supervisor_cannot_approve_their_own_request_through_the_view(
    client, shipped, django_capture_on_commit_callbacks
):
    coat_order = place((("COAT", 1),))
    supervisor = staff("supervisor")
    client.force_login(supervisor)
    request = waiting_request(coat_order, supervisor, amount="300")
    page = client.get(reverse("console:approvals")).content.decode()
    assert f'id="approval-{request.pk}"' in page and 'data-action="approve"' not in page
    assert 'data-action="withdraw"' in page
    before = everything_snapshot(coat_order)

    response = post(
        client,
        decide_url(request),
        {"decision": "approve", "note": ""},
        django_capture_on_commit_callbacks,
        **HTMX,
    )

    assert response.status_code == 403
    assert "their own request" in response.content.decode()
    assert everything_snapshot(coat_order) == before


def test_approving_through_the_view_applies_once_and_a_second_approve_is_409(
    client, shipped, django_capture_on_commit_callbacks
):
    request = waiting_request(shipped, staff("agent"))
    client.force_login(staff("supervisor", "joao"))

    first = post(
        client,
        decide_url(request),
        {"decision": "approve", "note": "Fine", "show": "pending"},
        django_capture_on_commit_callbacks,
        **HTMX,
    )
    second = post(
        client,
        decide_url(request),
        {"decision": "approve", "note": "Again"},
        django_capture_on_commit_callbacks,
        **HTMX,
    )

    assert first.status_code == 200 and "Approved and applied" in first["HX-Trigger"]
    assert f'id="approval-{request.pk}"' in first.content.decode()  # now under decided
    assert second.status_code == 409 and "already approved" in second.content.decode()
    assert refunds() == [D("30.00")]
    request.refresh_from_db()
    assert (request.status, request.decision_note) == (Status.APPROVED, "Fine")


def test_rejecting_without_a_note_is_400_and_with_one_applies_nothing(client, shipped):
    request = waiting_request(shipped, staff("agent"))
    client.force_login(staff("supervisor"))
    before = money_snapshot(shipped)

    missing = client.post(decide_url(request), {"decision": "reject", "note": ""}, **HTMX)
    rejected = client.post(decide_url(request), {"decision": "reject", "note": "No"}, **HTMX)

    assert missing.status_code == 400 and rejected.status_code == 200
    request.refresh_from_db()
    assert request.status == Status.REJECTED
    assert money_snapshot(shipped) == before


def test_the_requester_withdraws_from_the_queue(client, agent, shipped):
    request = waiting_request(shipped, agent)
    response = client.post(
        reverse("console:approval-withdraw", args=[request.pk]), {"show": "mine"}, **HTMX
    )
    assert response.status_code == 200 and "withdrawn" in response["HX-Trigger"]
    request.refresh_from_db()
    assert request.status == Status.CANCELLED


def test_the_queue_lists_oldest_first_and_filters(client, shipped):
    agent, other = staff("agent"), staff("agent")
    first = waiting_request(shipped, agent, "30")
    second = waiting_request(shipped, other, "26")
    decided = waiting_request(shipped, other, "27")
    approvals.reject_request(request_id=decided.pk, user=staff("supervisor"), note="no")
    client.force_login(agent)

    page = client.get(reverse("console:approvals")).content.decode()
    mine = client.get(reverse("console:approvals") + "?show=mine").content.decode()
    only_decided = client.get(reverse("console:approvals") + "?show=decided").content.decode()

    assert page.index(f'id="approval-{first.pk}"') < page.index(f'id="approval-{second.pk}"')
    assert page.index(f'id="approval-{second.pk}"') < page.index(f'id="approval-{decided.pk}"')
    assert f'id="approval-{second.pk}"' not in mine and f'id="approval-{first.pk}"' in mine
    assert f'id="approval-{first.pk}"' not in only_decided
    assert f'id="approval-{decided.pk}"' in only_decided
    assert "live[detail.type.indexOf('approval.')===0] from:body" in page


def test_the_queue_page_issues_a_bounded_number_of_queries(
    client, shipped, django_assert_max_num_queries
):
    agents = [staff("agent") for _ in range(3)]
    orders = [place() for _ in range(10)]
    for index, order in enumerate(orders):
        waiting_request(order, agents[index % 3], "30")
    client.force_login(staff("supervisor"))
    client.get(reverse("console:approvals"))  # warm the session and permission caches

    with django_assert_max_num_queries(12):
        response = client.get(reverse("console:approvals"))

    assert response.content.decode().count('data-action="approve"') >= 10


def test_the_approval_queue_names_a_reason_from_the_set_of_its_action():
    from types import SimpleNamespace

    from support.templatetags.console import approval_reason

    adjustment = SimpleNamespace(action="price_adjustment", reason_code="damaged")
    reship = SimpleNamespace(action="reship", reason_code="damaged")
    assert approval_reason(adjustment) == "Damaged item"
    assert approval_reason(reship) != approval_reason(adjustment)
    assert approval_reason(SimpleNamespace(action="reship", reason_code="typed")) == "typed"
