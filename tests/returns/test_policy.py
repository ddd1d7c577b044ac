"""The policy itself: the active one or a default, activating one, the reasons and resolutions
it offers, and the bounded cost of asking it."""

from decimal import Decimal

import pytest

from returns.models import ReturnPolicy, ShippingPayer
from returns.policy import activate_policy, active_policy, evaluate_order
from tests.returns.policy_helpers import (
    DELIVERED,
    claim,
    deliver_all,
    deliver_shipment,
    delivered_order,
    only_line,
    override,
    place,
    rule,
    use_policy,
    variant,
)

D = Decimal


@pytest.mark.django_db
def test_the_seeded_standard_policy_is_active_on_a_fresh_install():
    policy = active_policy()

    assert policy.pk is not None
    assert policy.name == "Standard"
    assert policy.is_active


@pytest.mark.django_db
def test_without_an_active_policy_the_engine_applies_an_unsaved_default():
    ReturnPolicy.objects.update(is_active=False)

    policy = active_policy()
    decision = evaluate_order(delivered_order(country="US"), at=DELIVERED)

    assert policy.pk is None
    assert policy.window_days == 30
    assert decision.policy.pk is None
    assert decision.lines[0].is_returnable
    assert len(decision.reasons) == 9  # every reason but withdrawal, with default rules
    assert ReturnPolicy.objects.filter(is_active=True).count() == 0  # nothing written


@pytest.mark.django_db
def test_activating_a_policy_deactivates_the_one_that_was_active():
    standard = active_policy()
    summer = ReturnPolicy.objects.create(name="Summer", is_active=False, window_days=60)

    activate_policy(summer)
    activate_policy(summer)  # twice is harmless

    standard.refresh_from_db()
    summer.refresh_from_db()
    assert summer.is_active
    assert not standard.is_active
    assert active_policy().pk == summer.pk


@pytest.mark.django_db
def test_reasons_offered_carry_their_rules_and_leave_out_disabled_ones():
    policy = use_policy(window_days=30)
    rule(
        policy,
        "damaged",
        requires_photo=True,
        keep_it_max_amount=D("15"),
        restocking_fee_percent=D("0"),
    )
    rule(policy, "no_longer_wanted", return_shipping_paid_by=ShippingPayer.CUSTOMER)
    rule(policy, "other", is_enabled=False, requires_review=True)

    reasons = {r.code: r for r in evaluate_order(delivered_order(), at=DELIVERED).reasons}

    assert "other" not in reasons
    assert "withdrawal" not in reasons
    assert reasons["damaged"].requires_photo
    assert reasons["damaged"].keep_it_max_amount == D("15")
    assert reasons["damaged"].label == "Arrived damaged"
    assert reasons["no_longer_wanted"].customer_pays_return_shipping
    assert not reasons["size_too_small"].customer_pays_return_shipping


@pytest.mark.django_db
def test_resolutions_follow_the_policys_offers():
    use_policy(window_days=30, offers_refund=False, offers_exchange=False)
    order = delivered_order(country="US")
    variant(product=only_line(order).variant.product)

    assert evaluate_order(order, at=DELIVERED).resolutions == ["store_credit"]


@pytest.mark.django_db
def test_exchange_is_offered_only_when_a_returnable_line_has_another_active_variant():
    use_policy(window_days=30)
    order = delivered_order(country="US")
    product = only_line(order).variant.product

    assert evaluate_order(order, at=DELIVERED).resolutions == ["refund", "store_credit"]
    variant(product=product, is_active=False)
    assert "exchange" not in evaluate_order(order, at=DELIVERED).resolutions
    variant(product=product)
    assert evaluate_order(order, at=DELIVERED).resolutions == ["refund", "store_credit", "exchange"]


@pytest.mark.django_db
def test_exchange_is_not_offered_for_a_line_that_cannot_be_returned():
    use_policy(window_days=30)
    order = delivered_order(country="US", final_sale=True)
    variant(product=only_line(order).variant.product)

    assert "exchange" not in evaluate_order(order, at=DELIVERED).resolutions


@pytest.mark.django_db
def test_every_line_decision_has_a_code_and_an_explanation():
    use_policy(window_days=30)
    lines = [variant(warehouse="EAST"), variant(warehouse="EAST", is_final_sale=True)]
    lines.append(variant(warehouse="WEST"))
    order = place([(v, 1) for v in lines], country="US")
    east = order.shipments.order_by("pk").first()
    deliver_shipment(east)

    decision = evaluate_order(order, at=DELIVERED)

    assert [d.code for d in decision.lines] == ["returnable", "final_sale", "not_delivered"]
    assert all(d.explanation.endswith(".") for d in decision.lines)


@pytest.mark.django_db
def test_evaluating_an_order_runs_a_bounded_number_of_queries(django_assert_num_queries):
    policy = use_policy(window_days=30)
    rule(policy, "damaged", requires_photo=True)
    override(policy, category="shoes", days=10)
    small = place([(variant(), 1)], country="BR")
    large = place([(variant(warehouse=f"W{i % 3}"), 2) for i in range(10)], country="BR")
    deliver_all(small)
    deliver_all(large)
    for line in large.lines.all()[:4]:
        claim(large, line, 1)
    small = small.__class__.objects.get(pk=small.pk)
    large = large.__class__.objects.get(pk=large.pk)

    # policy, rules, overrides, customer, lines, shipment lines, return claims, variants
    with django_assert_num_queries(8):
        evaluate_order(small, at=DELIVERED)
    with django_assert_num_queries(8):
        decision = evaluate_order(large, at=DELIVERED)
    assert len(decision.lines) == 10


@pytest.mark.django_db
def test_a_caller_may_evaluate_under_a_policy_it_already_loaded():
    use_policy(window_days=30)
    draft = ReturnPolicy.objects.create(name="Strict", is_active=False, window_days=0)
    order = delivered_order(country="US")

    assert evaluate_order(order, at=DELIVERED).lines[0].is_returnable
    assert not evaluate_order(order, at=DELIVERED, policy=draft).lines[0].is_returnable
