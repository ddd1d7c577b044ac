"""Deciding on returns and moving their money from the console: a supervisor approves or
rejects (with a reason the customer reads) a return waiting for review; a rep cancels one not
yet sent, releases what the policy allows, and refunds an amount within their authority (the
per-action and per-order limits of the matrix's refund cell). Every refusal re-renders the
panel with the reason and changes nothing; every action is noted on the rep's active case."""

import json
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group, User
from django.urls import reverse
from django.utils import timezone

from orders.models import Payment
from returns.models import ReturnEvent, ReturnRefund, ReturnRequest
from returns.services import receiving
from support.context import SESSION_KEY
from support.models import AuthorityRule, Case, CaseEvent
from tests.returns.lifecycle_builders import (
    ACTOR,
    delivered_order,
    request,
    return_marks,
    store_policy,
    wanted,
)

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


def login(client, role: str) -> User:
    user = User.objects.create_user(f"{role}-review", is_staff=True)
    user.groups.add(Group.objects.get(name=role))
    client.force_login(user)
    return user


def with_case(client, user: User, return_request: ReturnRequest) -> Case:
    now = timezone.now()
    case = Case.objects.create(
        customer=return_request.customer,
        order=return_request.order,
        channel=Case.Channel.PHONE,
        reason=Case.Reason.RETURN_EXCHANGE,
        subject="About my return",
        opened_by=user,
        opened_at=now,
        last_contact_at=now,
    )
    session = client.session
    session[SESSION_KEY] = case.pk
    session.save()
    return case


@pytest.fixture
def shop():
    """A delivered order (2 x TEE-M, 1 x CAP at 20.00 + 5.00 shipping, 65.00 captured) with a
    return of the CAP waiting for review ("other") and an approved return of 2 x TEE-M."""
    store_policy()
    order = delivered_order()
    waiting = request(order, wanted(order, "CAP", 1, reason="other"))
    approved = request(order, wanted(order, "TEE-M", 2))
    assert (waiting.status, approved.status) == ("requested", "approved")
    return {"order": order, "waiting": waiting, "approved": approved}


def post(client, name: str, rma: str, data=None, **extra):
    return client.post(reverse(f"console:{name}", args=[rma]), data or {}, **extra)


def test_a_supervisor_approves_a_waiting_return_and_it_is_noted_on_the_case(client, shop):
    user = login(client, "supervisor")
    waiting = shop["waiting"]
    case = with_case(client, user, waiting)
    panel = client.get(reverse("console:return-approve", args=[waiting.rma]), **HTMX)
    assert panel.status_code == 200 and 'data-panel="approve"' in panel.content.decode()

    response = post(client, "return-approve", waiting.rma, {"reason": "Photo shows a flaw"}, **HTMX)
    assert response.status_code == 204
    trigger = json.loads(response["HX-Trigger"])
    assert trigger["return:changed"] and "approved" in trigger["flash"]
    waiting.refresh_from_db()
    assert waiting.status == "approved" and waiting.tracking_number
    assert waiting.decision_reason == "Photo shows a flaw"
    event = ReturnEvent.objects.get(return_request=waiting, type="approved")
    assert (event.actor_kind, event.actor_label) == ("staff", user.username)
    note = CaseEvent.objects.get(case=case, type=CaseEvent.Type.ACTION)
    assert note.data["action"] == "return_approve" and note.data["rma"] == waiting.rma


def test_a_rejection_needs_a_reason_and_a_refused_one_changes_nothing(client, shop):
    login(client, "supervisor")
    waiting = shop["waiting"]
    before = return_marks()
    response = post(client, "return-reject", waiting.rma, {"reason": "  "}, **HTMX)
    assert response.status_code == 400
    assert "This field is required." in response.content.decode()
    assert return_marks() == before
    waiting.refresh_from_db()
    assert waiting.status == "requested"

    response = post(client, "return-reject", waiting.rma, {"reason": "Worn and washed"}, **HTMX)
    assert response.status_code == 204
    waiting.refresh_from_db()
    assert (waiting.status, waiting.decision_reason) == ("rejected", "Worn and washed")


def test_approving_a_return_the_table_does_not_allow_shows_why_and_changes_nothing(client, shop):
    login(client, "supervisor")
    waiting = shop["waiting"]
    post(client, "return-reject", waiting.rma, {"reason": "No"}, **HTMX)
    before = return_marks()
    response = post(client, "return-approve", waiting.rma, {}, **HTMX)
    assert response.status_code == 409
    assert "cannot become Approved" in response.content.decode()
    assert return_marks() == before


def test_without_javascript_an_action_redirects_to_the_return_with_a_message(client, shop):
    login(client, "supervisor")
    waiting = shop["waiting"]
    response = post(client, "return-approve", waiting.rma, {}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("console:return-detail", args=[waiting.rma])
    assert "approved" in response.content.decode()


def test_an_agent_cancels_a_return_not_yet_sent_but_not_one_received(client, shop):
    login(client, "agent")
    approved = shop["approved"]
    assert post(client, "return-cancel", shop["waiting"].rma, {}, **HTMX).status_code == 204
    assert ReturnRequest.objects.get(pk=shop["waiting"].pk).status == "cancelled"

    line = approved.lines.get()
    receiving.receive_return(return_request=approved, lines=[(line.pk, 2, "as_new")], actor=ACTOR)
    before = return_marks()
    response = post(client, "return-cancel", approved.rma, {"reason": "changed mind"}, **HTMX)
    assert response.status_code == 409
    assert return_marks() == before


def test_release_shows_what_is_due_and_a_second_release_moves_nothing(client, shop):
    login(client, "agent")
    approved = shop["approved"]
    line = approved.lines.get()
    receiving.receive_return(return_request=approved, lines=[(line.pk, 2, "as_new")], actor=ACTOR)
    panel = client.get(reverse("console:return-release", args=[approved.rma]), **HTMX)
    html = panel.content.decode()
    assert "data-due>$0.00<" in html  # released on receipt already
    refunds = ReturnRefund.objects.count()
    response = post(client, "return-release", approved.rma, {}, **HTMX)
    assert response.status_code == 204
    assert "Nothing more to release" in json.loads(response["HX-Trigger"])["flash"]
    assert ReturnRefund.objects.count() == refunds


def test_an_agent_refunds_an_amount_within_their_authority(
    client, shop, django_capture_on_commit_callbacks
):
    user = login(client, "agent")
    approved = shop["approved"]
    case = with_case(client, user, approved)
    url = reverse("console:return-refund", args=[approved.rma])
    form = client.get(url, **HTMX).content.decode()
    reference = form.split('name="reference" value="', 1)[1].split('"', 1)[0]
    data = {"amount": "12,50", "reason": "Stain on delivery", "reference": reference}

    preview = client.post(url, {**data, "preview": "1"}, **HTMX)
    assert preview.status_code == 200
    assert 'data-authority="within"' in preview.content.decode()
    assert not ReturnRefund.objects.exists()

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {**data, "confirm": "1"}, **HTMX)
        again = client.post(url, {**data, "confirm": "1"}, **HTMX)  # a double click
    assert (response.status_code, again.status_code) == (204, 204)
    refund = ReturnRefund.objects.get()
    assert refund.amount == Decimal("12.50") and ":staff:" in refund.reference
    approved.refresh_from_db()
    assert approved.refunded_amount == Decimal("12.50")
    assert Payment.objects.get(order=shop["order"]).amount_refunded == Decimal("12.50")
    assert CaseEvent.objects.get(case=case, type=CaseEvent.Type.ACTION).data["action"] == (
        "return_refund"
    )


def test_a_refund_above_the_agents_limit_is_refused_and_a_supervisor_makes_it(client, shop):
    login(client, "agent")
    approved = shop["approved"]
    url = reverse("console:return-refund", args=[approved.rma])
    data = {"amount": "38.00", "reason": "Both tees faulty", "reference": "r1"}
    # The agent's refund cell (50 USD per action) lowered to make 38.00 an over-limit refund.
    AuthorityRule.objects.filter(role="agent", action="refund", currency="USD").update(
        max_amount=Decimal("30")
    )
    preview = client.post(url, {**data, "preview": "1"}, **HTMX)
    html = preview.content.decode()
    assert 'data-authority="above_limit"' in html
    assert "a supervisor makes this refund" in html
    assert 'name="confirm"' not in html
    before = return_marks()
    refused = client.post(url, {**data, "confirm": "1"}, **HTMX)
    assert refused.status_code == 403
    assert return_marks() == before

    login(client, "supervisor")
    assert client.post(url, {**data, "confirm": "1"}, **HTMX).status_code == 204
    assert ReturnRefund.objects.get().amount == Decimal("38.00")


def test_the_per_order_limit_counts_earlier_staff_refunds(client, shop):
    AuthorityRule.objects.filter(role="agent", action="refund", currency="USD").update(
        max_amount=Decimal("30"), per_order_cap=Decimal("35")
    )
    login(client, "agent")
    url = reverse("console:return-refund", args=[shop["approved"].rma])
    ok = {"amount": "20", "reason": "Goodwill", "reference": "first", "confirm": "1"}
    assert client.post(url, ok, **HTMX).status_code == 204
    before = return_marks()
    over = {"amount": "20", "reason": "More", "reference": "second", "confirm": "1"}
    response = client.post(url, over, **HTMX)
    assert response.status_code == 403
    assert "already refunded by hand" in response.content.decode()
    assert return_marks() == before


@pytest.mark.parametrize("amount", ["", "abc", "-5", "0", "1.234", "99999999999999"])
def test_a_bad_amount_is_a_form_error_and_moves_nothing(client, shop, amount):
    login(client, "agent")
    url = reverse("console:return-refund", args=[shop["approved"].rma])
    before = return_marks()
    data = {"amount": amount, "reason": "x", "reference": "r", "confirm": "1"}
    response = client.post(url, data, **HTMX)
    assert response.status_code == 400
    assert 'class="errorlist"' in response.content.decode()
    assert return_marks() == before


def test_a_refund_above_what_the_return_has_left_is_refused(client, shop):
    login(client, "supervisor")
    url = reverse("console:return-refund", args=[shop["approved"].rma])
    before = return_marks()
    data = {"amount": "45", "reason": "x", "reference": "r", "confirm": "1"}
    response = client.post(url, data, **HTMX)
    assert response.status_code == 409
    assert "can still be refunded" in response.content.decode()
    assert return_marks() == before
