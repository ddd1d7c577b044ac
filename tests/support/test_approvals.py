"""The approval queue's rules on the server: above authority a request waits and no money moves;
within it the action applies at once; nobody approves their own request, agents approve
nothing, an approver needs the authority too, and approving applies the payload exactly once."""

import threading
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction

from notifications.management.commands.events_doc import EXAMPLES
from notifications.models import OutboxMessage
from oms.exceptions import Conflict, PermissionDenied, ValidationFailed
from orders.models import Order, OrderAdjustment, OrderEvent, Payment, PaymentTransaction, Stock
from returns import selectors as credit
from returns.models import StoreCreditEntry
from support.models import ActionKind, ApprovalRequest, CaseEvent
from support.services import approvals
from tests.notifications.test_events_doc import paths
from tests.support.money_actions import (
    everything_snapshot,
    money_snapshot,
    open_case,
    place,
    ship_everything,
    staff,
    stock_catalog,
)

D = Decimal
Kind = PaymentTransaction.Kind
Status = ApprovalRequest.Status


@pytest.fixture
def shop(db):
    stock_catalog()


@pytest.fixture
def shipped(shop, django_capture_on_commit_callbacks) -> Order:
    """2 x TEE-M + 5.00 shipping = 55.00, shipped and captured."""
    order = place()
    with django_capture_on_commit_callbacks(execute=True):
        ship_everything(order)
    assert Payment.objects.get(order=order).amount_captured == D("55.00")
    return order


@pytest.fixture
def big_order(shop, django_capture_on_commit_callbacks) -> Order:
    """2 x COAT = 800.00 + 5.00, shipped and captured."""
    order = place((("COAT", 2),))
    with django_capture_on_commit_callbacks(execute=True):
        ship_everything(order)
    return order


def adjust(user, order, capture, **kwargs) -> approvals.Outcome:
    values = {"reason_code": "price_match", "note": "Cheaper elsewhere"}
    values.update(kwargs)
    with capture(execute=True):
        return approvals.request_price_adjustment(user=user, order=order, **values)


def approve(user, request, capture, note="OK") -> ApprovalRequest:
    with capture(execute=True):
        return approvals.approve_request(request_id=request.pk, user=user, note=note)


def refunds(order) -> list[Decimal]:
    return list(
        PaymentTransaction.objects.filter(payment__order=order, kind=Kind.REFUND).values_list(
            "amount", flat=True
        )
    )


# --- Requesting ------------------------------------------------------------------------------


def test_above_authority_a_request_waits_and_no_money_moves(
    shipped, django_capture_on_commit_callbacks
):
    agent = staff("agent")
    before = money_snapshot(shipped)

    outcome = adjust(agent, shipped, django_capture_on_commit_callbacks, amount="30.00")

    assert not outcome.is_applied and outcome.decision.verdict == "above_limit"
    assert money_snapshot(shipped) == before
    request = ApprovalRequest.objects.get()
    assert (request.status, request.amount, request.requested_by, request.action) == (
        Status.PENDING,
        D("30.00"),
        agent,
        ActionKind.PRICE_ADJUSTMENT,
    )
    assert request.payload == {
        "line_id": None,
        "line_number": None,
        "amount": "30.00",
        "percentage": None,
    }
    event = OrderEvent.objects.get(type=OrderEvent.Type.APPROVAL_REQUESTED)
    assert event.actor_user == agent and event.data["request_id"] == request.pk
    assert OutboxMessage.objects.filter(event_type="approval.requested").count() == 1


def test_goodwill_above_authority_gives_no_credit(shipped, django_capture_on_commit_callbacks):
    agent = staff("agent")
    before = money_snapshot(shipped)

    outcome = approvals.request_goodwill(
        user=agent, order=shipped, amount="20.01", reason_code="late_delivery", note="Late"
    )

    assert outcome.request is not None
    assert money_snapshot(shipped) == before
    assert credit.balance(shipped.customer, "USD") == 0


def test_within_authority_after_capture_refunds_at_once(
    shipped, django_capture_on_commit_callbacks
):
    agent = staff("agent")

    outcome = adjust(
        agent, shipped, django_capture_on_commit_callbacks, line=shipped.lines.get().pk, amount="10"
    )

    assert outcome.is_applied and outcome.adjustment.amount == D("10.00")
    assert outcome.adjustment.actor_user == agent and outcome.adjustment.approved_by_label == ""
    shipped.refresh_from_db()
    assert shipped.total == D("45.00")
    assert refunds(shipped) == [D("10.00")]
    assert not ApprovalRequest.objects.exists()


def test_within_authority_before_capture_lowers_what_is_captured(
    shop, django_capture_on_commit_callbacks
):
    order = place()
    outcome = adjust(staff("agent"), order, django_capture_on_commit_callbacks, percentage="20")
    assert outcome.adjustment.amount == D("10.00")  # 20 % of the goods (50.00)
    assert not PaymentTransaction.objects.filter(kind__in=[Kind.CAPTURE, Kind.REFUND]).exists()

    with django_capture_on_commit_callbacks(execute=True):
        ship_everything(order)

    payment = Payment.objects.get(order=order)
    assert (payment.amount_authorized, payment.amount_captured) == (D("55.00"), D("45.00"))
    assert refunds(order) == []


def test_goodwill_within_authority_issues_store_credit_and_tells_the_customer(
    shipped, django_capture_on_commit_callbacks
):
    outcome = approvals.request_goodwill(
        user=staff("agent"), order=shipped, amount="15", reason_code="late_delivery", note="Late"
    )

    assert outcome.is_applied
    assert outcome.credit.reference == f"adjustment:{outcome.adjustment.pk}"
    assert credit.balance(shipped.customer, "USD") == D("15.00")
    message = OutboxMessage.objects.get(event_type="store_credit.issued")
    assert message.payload["event"]["balance"] == "15.00"
    shipped.refresh_from_db()
    assert shipped.total == D("55.00") and refunds(shipped) == []


def test_bad_input_is_refused_before_authority_and_creates_nothing(
    shipped, django_capture_on_commit_callbacks
):
    agent = staff("agent")
    before = everything_snapshot(shipped)
    for kwargs in (
        {"amount": "300"},  # more than the order is worth: never a request
        {"amount": "30", "note": ""},
        {"amount": "30", "reason_code": "none"},
    ):
        with pytest.raises(ValidationFailed):
            adjust(agent, shipped, django_capture_on_commit_callbacks, **kwargs)
    with pytest.raises(ValidationFailed):
        approvals.request_reship(user=agent, order=shipped, lines=[], reason="lost", note="x")
    assert everything_snapshot(shipped) == before


def test_the_cap_per_order_holds_across_several_requests(
    shipped, django_capture_on_commit_callbacks
):
    """Agent: 25.00 per adjustment, 50.00 per order. A 30.00 request waits; 20.00 still fits
    beside it; anything more waits too, even 1.00."""
    agent = staff("agent")
    call = django_capture_on_commit_callbacks

    waiting = adjust(agent, shipped, call, amount="30.00")
    fits = adjust(agent, shipped, call, amount="20.00")
    over = adjust(agent, shipped, call, amount="1.00")

    assert (waiting.is_applied, fits.is_applied, over.is_applied) == (False, True, False)
    assert over.decision.verdict == "above_order_cap"
    assert refunds(shipped) == [D("20.00")]
    assert ApprovalRequest.objects.filter(status=Status.PENDING).count() == 2


def test_reship_above_authority_waits_and_places_nothing(
    big_order, django_capture_on_commit_callbacks
):
    coat = big_order.lines.get()
    before = everything_snapshot(big_order)

    outcome = approvals.request_reship(
        user=staff("agent"), order=big_order, lines=[(coat.pk, 1)], reason="lost", note="Lost"
    )

    assert outcome.request.amount == D("400.00")
    assert outcome.request.payload["lines"] == [[coat.pk, 1]]
    after = everything_snapshot(big_order)
    assert after["orders"] == before["orders"] and after["ledger"] == before["ledger"]


def test_reship_within_authority_places_the_replacement(
    shipped, django_capture_on_commit_callbacks
):
    tee = shipped.lines.get()
    with django_capture_on_commit_callbacks(execute=True):
        outcome = approvals.request_reship(
            user=staff("agent"), order=shipped, lines=[(tee.pk, 2)], reason="lost", note="Lost"
        )
    assert outcome.replacement.original_order == shipped
    assert outcome.replacement.channel == Order.Channel.REPLACEMENT


# --- Deciding --------------------------------------------------------------------------------


def test_an_agent_cannot_approve(shipped, django_capture_on_commit_callbacks):
    request = adjust(
        staff("agent"), shipped, django_capture_on_commit_callbacks, amount="30"
    ).request
    other_agent = staff("agent")
    before = everything_snapshot(shipped)

    for decide in (approvals.approve_request, approvals.reject_request):
        with pytest.raises(PermissionDenied):
            decide(request_id=request.pk, user=other_agent, note="fine")

    assert everything_snapshot(shipped) == before


def test_a_supervisor_cannot_approve_their_own_request(
    big_order, django_capture_on_commit_callbacks
):
    supervisor = staff("supervisor")
    request = adjust(
        supervisor, big_order, django_capture_on_commit_callbacks, amount="300"
    ).request
    assert request is not None  # above the supervisor's 250.00
    before = everything_snapshot(big_order)

    with pytest.raises(PermissionDenied) as error:
        approve(supervisor, request, django_capture_on_commit_callbacks)

    assert error.value.code == "own_request"
    assert everything_snapshot(big_order) == before


def test_the_database_refuses_a_self_decided_request_too(
    shipped, django_capture_on_commit_callbacks
):
    request = adjust(
        staff("agent"), shipped, django_capture_on_commit_callbacks, amount="30"
    ).request
    with pytest.raises(IntegrityError), transaction.atomic():
        ApprovalRequest.objects.filter(pk=request.pk).update(decided_by=request.requested_by)


def test_approving_applies_exactly_the_payload_once(shipped, django_capture_on_commit_callbacks):
    agent, supervisor = staff("agent"), staff("supervisor", "joao")
    tee = shipped.lines.get()
    request = adjust(
        agent, shipped, django_capture_on_commit_callbacks, line=tee.pk, percentage="60"
    ).request
    assert request.amount == D("30.00")

    decided = approve(supervisor, request, django_capture_on_commit_callbacks, note="Fair")

    assert (decided.status, decided.decided_by, decided.decision_note) == (
        Status.APPROVED,
        supervisor,
        "Fair",
    )
    adjustment = OrderAdjustment.objects.get()
    assert (adjustment.amount, adjustment.line, adjustment.percentage) == (
        D("30.00"),
        tee,
        D("60"),
    )
    assert adjustment.note == "Cheaper elsewhere" and adjustment.reason_code == "price_match"
    assert adjustment.actor_label == "joao" and adjustment.approved_by_label == "joao"
    assert refunds(shipped) == [D("30.00")]
    decided_event = OrderEvent.objects.get(type=OrderEvent.Type.APPROVAL_DECIDED)
    assert decided_event.data["decision"] == "approved"
    assert decided_event.data["requested_by"] == agent.username
    message = OutboxMessage.objects.get(event_type="approval.decided")
    assert message.payload["order"]["number"] == shipped.number
    assert message.payload["order"]["total"] == "25.00"

    with pytest.raises(Conflict):
        approve(supervisor, request, django_capture_on_commit_callbacks)
    assert refunds(shipped) == [D("30.00")] and OrderAdjustment.objects.count() == 1


def test_the_approver_needs_the_authority_too(big_order, django_capture_on_commit_callbacks):
    request = adjust(
        staff("agent"), big_order, django_capture_on_commit_callbacks, amount="300"
    ).request
    before = everything_snapshot(big_order)

    with pytest.raises(PermissionDenied) as error:
        approve(staff("supervisor"), request, django_capture_on_commit_callbacks)

    assert error.value.code == "above_approver_authority"
    assert "above your authority too" in error.value.message
    assert everything_snapshot(big_order) == before
    approve(staff("admin"), request, django_capture_on_commit_callbacks)
    assert refunds(big_order) == [D("300.00")]


def test_the_approvers_cap_counts_what_the_order_already_had(
    big_order, django_capture_on_commit_callbacks
):
    """Supervisor: 250.00 per adjustment, 500.00 per order."""
    call = django_capture_on_commit_callbacks
    agent, supervisor = staff("agent"), staff("supervisor")
    first = adjust(agent, big_order, call, amount="250").request
    second = adjust(agent, big_order, call, amount="250").request
    third = adjust(agent, big_order, call, amount="10").request
    approve(supervisor, first, call)
    approve(supervisor, second, call)

    with pytest.raises(PermissionDenied):
        approve(supervisor, third, call)

    assert refunds(big_order) == [D("250.00"), D("250.00")]


def test_a_request_that_can_no_longer_apply_fails_and_changes_nothing(
    shop, django_capture_on_commit_callbacks
):
    order = place()
    request = adjust(staff("agent"), order, django_capture_on_commit_callbacks, amount="30").request
    from orders import services
    from tests.orders.builders import ACTOR

    with django_capture_on_commit_callbacks(execute=True):
        services.cancel_order(order=order, actor=ACTOR, reason="customer asked")
    before = money_snapshot(order)

    decided = approve(staff("supervisor"), request, django_capture_on_commit_callbacks)

    assert decided.status == Status.FAILED and "cancelled" in decided.failure
    assert money_snapshot(order) == before
    event = OrderEvent.objects.get(type=OrderEvent.Type.APPROVAL_DECIDED)
    assert event.data["decision"] == "failed"


def test_an_approved_reship_without_stock_fails(big_order, django_capture_on_commit_callbacks):
    coat = big_order.lines.get()
    request = approvals.request_reship(
        user=staff("agent"), order=big_order, lines=[(coat.pk, 1)], reason="lost", note="Lost"
    ).request
    Stock.objects.filter(variant__sku="COAT").update(on_hand=0)  # sold out since
    orders_before = Order.objects.count()

    decided = approve(staff("supervisor"), request, django_capture_on_commit_callbacks)

    assert decided.status == Status.FAILED and "stock" in decided.failure.lower()
    assert Order.objects.count() == orders_before


def test_rejecting_needs_a_note_and_applies_nothing(shipped, django_capture_on_commit_callbacks):
    request = adjust(
        staff("agent"), shipped, django_capture_on_commit_callbacks, amount="30"
    ).request
    supervisor = staff("supervisor")
    with pytest.raises(ValidationFailed):
        approvals.reject_request(request_id=request.pk, user=supervisor, note=" ")
    before = money_snapshot(shipped)

    decided = approvals.reject_request(request_id=request.pk, user=supervisor, note="Too much")

    assert (decided.status, decided.decision_note) == (Status.REJECTED, "Too much")
    assert money_snapshot(shipped) == before
    message = OutboxMessage.objects.get(event_type="approval.decided")
    assert message.payload["event"]["decision"] == "rejected"
    with pytest.raises(Conflict):
        approve(supervisor, request, django_capture_on_commit_callbacks)


def test_only_the_requester_withdraws(shipped, django_capture_on_commit_callbacks):
    agent = staff("agent")
    request = adjust(agent, shipped, django_capture_on_commit_callbacks, amount="30").request
    with pytest.raises(PermissionDenied):
        approvals.withdraw_request(request_id=request.pk, user=staff("supervisor"))

    withdrawn = approvals.withdraw_request(request_id=request.pk, user=agent)

    assert withdrawn.status == Status.CANCELLED and withdrawn.decided_by is None
    # A withdrawn request no longer counts against the order's cap.
    assert adjust(agent, shipped, django_capture_on_commit_callbacks, amount="25").is_applied


def test_actions_taken_from_a_case_are_linked_to_it(shipped, django_capture_on_commit_callbacks):
    agent = staff("agent")
    case = open_case(shipped, agent)
    call = django_capture_on_commit_callbacks

    adjust(agent, shipped, call, amount="5", case=case)
    request = adjust(agent, shipped, call, amount="30", case=case).request
    approve(staff("supervisor"), request, call)

    assert request.case == case
    actions = list(
        CaseEvent.objects.filter(case=case, type=CaseEvent.Type.ACTION).values_list(
            "data__action", flat=True
        )
    )
    assert actions == ["price_adjustment", "approval_requested", "approval_decided"]


def test_emitted_payloads_have_the_documented_shape(shipped, django_capture_on_commit_callbacks):
    call = django_capture_on_commit_callbacks
    agent = staff("agent")
    adjust(agent, shipped, call, amount="5", line=shipped.lines.get().pk)
    approvals.request_goodwill(
        user=agent, order=shipped, amount="10", reason_code="late_delivery", note="Late"
    )
    request = adjust(agent, shipped, call, amount="30").request
    approve(staff("supervisor"), request, call)

    for name in ("order.adjusted", "store_credit.issued", "approval.requested", "approval.decided"):
        emitted = [paths(m.payload) for m in OutboxMessage.objects.filter(event_type=name)]
        assert paths(EXAMPLES[name]) in emitted, (name, paths(EXAMPLES[name]) ^ emitted[0])


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_supervisors_approving_at_once_apply_it_once(shop):
    order = place()
    ship_everything(order)  # real transactions: settlement runs on commit
    request = approvals.request_price_adjustment(
        user=staff("agent"), order=order, amount="30", reason_code="price_match", note="n"
    ).request
    supervisors = [staff("supervisor"), staff("supervisor")]
    barrier = threading.Barrier(2, timeout=30)
    results: list = [None, None]

    def decide(index: int) -> None:
        try:
            barrier.wait()
            results[index] = approvals.approve_request(
                request_id=request.pk, user=supervisors[index], note="ok"
            ).status
        except Exception as exc:  # noqa: BLE001 - a refusal is a result to assert on
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=decide, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sum(result == Status.APPROVED for result in results) == 1, results
    assert sum(isinstance(result, Conflict) for result in results) == 1, results
    assert refunds(order) == [D("30.00")]
    assert StoreCreditEntry.objects.count() == 0
