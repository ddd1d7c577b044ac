"""The authority matrix: role x action x currency, a limit per action and a cap per order that
counts what the order already had and what is still waiting for approval."""

from decimal import Decimal

import pytest
from django.contrib.auth.models import User

from orders.services import adjustments, replacement
from support.models import ActionKind, ApprovalRequest, AuthorityRule
from support.services.authority import Verdict, decide_authority
from tests.orders.builders import ACTOR
from tests.support.money_actions import place, ship_everything, staff, stock_catalog

pytestmark = pytest.mark.django_db
D = Decimal
PRICE = ActionKind.PRICE_ADJUSTMENT


@pytest.fixture
def order():
    stock_catalog()
    return place((("TEE-M", 2), ("COAT", 1)))  # 450.00 + 5.00


def decide(user, order, amount, action=PRICE, **kwargs):
    return decide_authority(user=user, action=action, order=order, amount=D(amount), **kwargs)


def test_within_the_limit_applies_and_says_why(order):
    decision = decide(staff("agent"), order, "25.00")
    assert decision.is_within and decision.verdict == Verdict.WITHIN
    assert (decision.limit, decision.per_order_cap, decision.used_on_order) == (25, 50, 0)
    assert "25.00 USD per action" in decision.explanation


def test_above_the_limit_per_action_needs_approval(order):
    decision = decide(staff("agent"), order, "25.01")
    assert decision.needs_approval and decision.verdict == Verdict.ABOVE_LIMIT
    assert "Your limit is 25.00 USD per action" in decision.explanation


def test_the_cap_per_order_counts_what_was_applied(order):
    agent = staff("agent")
    for _ in range(2):
        adjustments.apply_price_adjustment(
            order=order, amount="20", reason_code="price_match", note="n", actor=ACTOR
        )

    decision = decide(agent, order, "10.01")

    assert decision.verdict == Verdict.ABOVE_ORDER_CAP
    assert (decision.applied_on_order, decision.remaining_on_order) == (40, D("10.00"))
    assert decide(agent, order, "10.00").is_within
    # Other kinds of action have their own room on the order.
    assert decide(agent, order, "20.00", action=ActionKind.GOODWILL_CREDIT).is_within


def test_pending_requests_count_so_a_large_amount_cannot_be_split(order):
    agent = staff("agent")
    ApprovalRequest.objects.create(
        action=PRICE,
        order=order,
        amount=D("45.00"),
        currency="USD",
        payload={"amount": "45.00"},
        reason_code="price_match",
        note="n",
        requested_by=agent,
    )

    decision = decide(agent, order, "10.00")

    assert decision.verdict == Verdict.ABOVE_ORDER_CAP
    assert decision.pending_on_order == 45 and decision.used_on_order == 45
    assert "45.00 USD is already used or waiting" in decision.explanation
    request = ApprovalRequest.objects.get()
    assert decide(agent, order, "10.00", exclude_request_id=request.pk).is_within
    # An approver weighs what the order had, not what others are still asking for.
    assert decide(agent, order, "10.00", count_pending=False).is_within


def test_roles_have_their_own_limits(order):
    supervisor, admin = staff("supervisor"), staff("admin")
    root = User.objects.create_superuser("root")
    assert decide(supervisor, order, "250").is_within
    assert decide(supervisor, order, "250.01").verdict == Verdict.ABOVE_LIMIT
    assert decide(admin, order, "455").is_within
    assert decide(root, order, "455").is_within


def test_no_rule_means_no_authority(order):
    assert decide(staff(None), order, "1").verdict == Verdict.NO_RULE
    AuthorityRule.objects.filter(role="agent", action=PRICE, currency="USD").delete()
    decision = decide(staff("agent"), order, "1")
    assert decision.verdict == Verdict.NO_RULE and decision.limit is None
    assert "no authority for this in USD" in decision.explanation


def test_a_currency_without_rules_needs_approval_from_everyone(db):
    stock_catalog(currency="GBP")
    order = place(currency="GBP")
    assert decide(staff("admin"), order, "1").verdict == Verdict.NO_RULE


def test_brl_limits_are_five_times_usd(db):
    stock_catalog(currency="BRL")
    order = place((("COAT", 1),), currency="BRL")
    agent = staff("agent")
    assert decide(agent, order, "125").is_within
    assert decide(agent, order, "125.01").needs_approval


def test_reship_counts_the_worth_of_replacements_already_sent(
    order, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        ship_everything(order)
    tee = order.lines.get(sku="TEE-M")
    agent = staff("agent")
    replacement.place_replacement_order(
        order=order, lines=[(tee.pk, 2)], reason="lost", note="Lost", actor=ACTOR
    )

    decision = decide(agent, order, "50.01", action=ActionKind.RESHIP)

    assert decision.applied_on_order == D("50.00")
    assert decision.verdict == Verdict.ABOVE_ORDER_CAP
    assert decide(agent, order, "50.00", action=ActionKind.RESHIP).is_within


def test_nothing_of_value_is_always_within(order):
    assert decide(staff(None), order, "0", action=ActionKind.RESHIP).is_within
