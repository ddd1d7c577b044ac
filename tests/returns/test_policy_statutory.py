"""The statutory right of withdrawal overrides a stricter store policy: Brazil 7 days (CDC art.
49), the EU 14 days with a withdrawal button (Directive 2011/83/EU); none in the US. A
withdrawal needs no reason, pays no fees and gets the original shipping back when it covers
the whole order."""

from datetime import UTC, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from orders.models import OrderLine
from returns.models import Resolution
from returns.policy import Code, RequestedLine, estimate, evaluate_order
from returns.policy.statutory import EU_MEMBER_STATES
from tests.returns.policy_helpers import (
    DELIVERED,
    claim,
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
SAO_PAULO = ZoneInfo("America/Sao_Paulo")
PARIS = ZoneInfo("Europe/Paris")


def decide(order, at):
    return evaluate_order(order, at=at).lines[0]


def withdraw(order, quantity, *, at, reason="", resolution=Resolution.REFUND, line=None):
    line = line or only_line(order)
    return estimate(
        order,
        [RequestedLine(order_line_id=line.pk, quantity=quantity, reason=reason)],
        resolution=resolution,
        is_withdrawal=True,
        at=at,
    )


@pytest.mark.django_db
def test_brazil_withdrawal_returns_a_final_sale_item_until_the_seventh_day_ends_locally():
    use_policy(window_days=30)
    # Delivered 1 March, 07:00 in São Paulo: the 7 days run to the end of 8 March there.
    order = delivered_order(country="BR", final_sale=True, delivered_at=DELIVERED)

    inside = evaluate_order(order, at=datetime(2026, 3, 8, 23, 59, 59, tzinfo=SAO_PAULO))
    after = evaluate_order(order, at=datetime(2026, 3, 9, 0, 0, tzinfo=SAO_PAULO))

    assert inside.time_zone == "America/Sao_Paulo"
    assert inside.withdrawal.code == "br_cdc_49"
    assert inside.withdrawal.days == 7
    assert inside.withdrawal.is_open
    assert inside.withdrawal.has_withdrawal_button is False
    assert inside.withdrawal.refunds_original_shipping is True
    assert inside.withdrawal.ends_at == datetime(2026, 3, 8, 23, 59, 59, 999999, tzinfo=SAO_PAULO)
    line = inside.lines[0]
    assert line.is_returnable
    assert line.is_statutory_only
    assert line.is_withdrawable
    assert line.code == Code.WITHDRAWAL_ONLY
    assert line.returnable_quantity == 3
    assert line.window_ends_at == inside.withdrawal.ends_at
    assert line.explanation == (
        "Final sale, but you may still withdraw from the purchase until 8 March 2026 "
        "(statutory right of withdrawal)."
    )
    assert not after.withdrawal.is_open
    assert after.lines[0].code == Code.FINAL_SALE
    assert not after.lines[0].is_returnable


@pytest.mark.django_db
def test_brazil_withdrawal_overrides_a_closed_store_window():
    use_policy(window_days=3)
    order = delivered_order(country="BR")

    decision = decide(order, datetime(2026, 3, 6, 12, tzinfo=SAO_PAULO))

    assert decision.is_returnable
    assert decision.is_statutory_only
    assert decision.code == Code.WITHDRAWAL_ONLY
    assert decision.explanation == (
        "The store's return window has closed, but you may still withdraw from the purchase "
        "until 8 March 2026 (statutory right of withdrawal)."
    )


@pytest.mark.django_db
def test_withdrawal_overrides_a_product_the_store_never_takes_back():
    policy = use_policy(window_days=30)
    order = delivered_order(country="BR")
    override(policy, product=only_line(order).variant.product, days=0)

    decision = decide(order, DELIVERED)

    assert decision.code == Code.WITHDRAWAL_ONLY
    assert decision.explanation.startswith("The store does not take this item back")


@pytest.mark.django_db
def test_within_both_windows_the_line_is_plainly_returnable_and_also_withdrawable():
    use_policy(window_days=30)
    order = delivered_order(country="BR")

    decision = decide(order, DELIVERED)

    assert decision.code == Code.RETURNABLE
    assert not decision.is_statutory_only
    assert decision.is_withdrawable


@pytest.mark.django_db
def test_eu_withdrawal_lasts_14_days_with_a_withdrawal_button():
    use_policy(window_days=7)
    order = delivered_order(country="FR", currency="EUR", final_sale=True)

    inside = evaluate_order(order, at=datetime(2026, 3, 15, 23, 59, tzinfo=PARIS))
    after = evaluate_order(order, at=datetime(2026, 3, 16, 0, 0, tzinfo=PARIS))

    assert inside.time_zone == "Europe/Paris"
    assert inside.withdrawal.code == "eu_14_days"
    assert inside.withdrawal.days == 14
    assert inside.withdrawal.has_withdrawal_button is True
    assert inside.withdrawal.ends_at == datetime(2026, 3, 15, 23, 59, 59, 999999, tzinfo=PARIS)
    assert inside.lines[0].code == Code.WITHDRAWAL_ONLY
    assert after.lines[0].code == Code.FINAL_SALE


@pytest.mark.django_db
def test_us_orders_have_no_statutory_withdrawal():
    use_policy(window_days=30)
    order = delivered_order(country="US", final_sale=True)

    decision = evaluate_order(order, at=DELIVERED)

    assert decision.withdrawal is None
    assert decision.lines[0].code == Code.FINAL_SALE
    assert not decision.lines[0].is_withdrawable


@pytest.mark.django_db
def test_the_country_is_where_the_order_ships_not_the_customers_profile():
    use_policy(window_days=30)
    order = delivered_order(country="US", customer_country="BR", final_sale=True)

    assert evaluate_order(order, at=DELIVERED).withdrawal is None


@pytest.mark.django_db
def test_without_a_shipping_country_the_customers_country_decides():
    use_policy(window_days=30)
    order = delivered_order(country="US", customer_country="DE")
    address = dict(order.shipping_address, country="")
    order.__class__.objects.filter(pk=order.pk).update(shipping_address=address)
    order.refresh_from_db()

    decision = evaluate_order(order, at=DELIVERED)

    assert decision.withdrawal.code == "eu_14_days"
    assert decision.time_zone == "Europe/Berlin"


@pytest.mark.django_db
def test_no_withdrawal_right_before_anything_was_delivered():
    use_policy(window_days=30)
    order = place([(variant(), 1)], country="BR")

    assert evaluate_order(order, at=DELIVERED).withdrawal is None


def test_the_eu_list_has_the_27_member_states():
    assert len(EU_MEMBER_STATES) == 27
    assert {"DE", "FR", "PT", "GR", "HR", "IE", "CY"} <= EU_MEMBER_STATES
    assert not {"GB", "CH", "NO", "EL"} & EU_MEMBER_STATES


@pytest.mark.django_db
def test_a_withdrawal_needs_no_reason_and_pays_no_fees():
    policy = use_policy(
        window_days=30,
        return_shipping_fee=D("6.95"),
        refund_release="inspection",
        store_credit_bonus_percent=D("10"),
    )
    rule(
        policy,
        "no_longer_wanted",
        return_shipping_paid_by="customer",
        restocking_fee_percent=D("20"),
        requires_review=True,
        requires_photo=True,
    )
    order = delivered_order(country="BR", quantity=3, final_sale=True)

    blank = withdraw(order, 1, at=DELIVERED)
    with_reason = withdraw(order, 1, at=DELIVERED, reason="no_longer_wanted")

    for result in (blank, with_reason):
        assert result.errors == []
        assert result.is_withdrawal
        assert result.restocking_fee == D("0.00")
        assert result.return_shipping_fee == D("0.00")
        assert result.requires_review is False
        assert result.refund_release == "receipt"  # never held for inspection
        assert result.total == D("25.00")
    assert blank.lines[0].reason == "withdrawal"
    assert with_reason.lines[0].reason == "no_longer_wanted"


@pytest.mark.django_db
def test_withdrawing_the_whole_order_refunds_the_original_shipping():
    use_policy(window_days=30)
    order = delivered_order(country="BR", quantity=2, shipping_price="9.90")

    result = withdraw(order, 2, at=DELIVERED)

    assert result.errors == []
    assert result.items_amount == D("50.00")
    assert result.shipping_refund == D("9.90")
    assert result.total == D("59.90")


@pytest.mark.django_db
def test_a_partial_withdrawal_refunds_no_shipping_until_the_last_units_go():
    use_policy(window_days=30)
    order = delivered_order(country="BR", quantity=3, shipping_price="9.90")
    line = only_line(order)

    partial = withdraw(order, 2, at=DELIVERED)
    claim(order, line, 2, status="approved")  # the first withdrawal, requested
    rest = withdraw(order, 1, at=DELIVERED)

    assert partial.shipping_refund == D("0.00")
    assert partial.total == D("50.00")
    assert rest.shipping_refund == D("9.90")
    assert rest.total == D("34.90")


@pytest.mark.django_db
def test_a_store_return_does_not_refund_shipping_even_for_the_whole_order():
    use_policy(window_days=30)
    order = delivered_order(country="BR", quantity=2, shipping_price="9.90")

    result = estimate(
        order,
        [RequestedLine(only_line(order).pk, 2, "size_too_small")],
        resolution=Resolution.REFUND,
        at=DELIVERED,
    )

    assert result.shipping_refund == D("0.00")
    assert result.total == D("50.00")


@pytest.mark.django_db
def test_eu_withdrawal_refunds_shipping_only_up_to_standard_delivery():
    use_policy(window_days=30)
    order = delivered_order(
        country="FR",
        currency="EUR",
        quantity=1,
        shipping_method="express",
        shipping_price="12.90",
    )

    result = withdraw(order, 1, at=DELIVERED)

    assert result.shipping_refund == D("6.90")  # orders.shipping's EUR standard rate
    assert result.total == D("31.90")


@pytest.mark.django_db
def test_withdrawal_is_refused_where_the_country_gives_no_right():
    use_policy(window_days=30)
    order = delivered_order(country="US")

    result = withdraw(order, 1, at=DELIVERED)

    assert {e["code"] for e in result.errors} >= {"no_withdrawal_right"}
    assert result.errors[0]["field"] == "is_withdrawal"


@pytest.mark.django_db
def test_withdrawal_after_the_period_is_refused_even_inside_the_store_window():
    use_policy(window_days=30)
    order = delivered_order(country="BR")

    result = withdraw(order, 1, at=datetime(2026, 3, 20, tzinfo=UTC))

    codes = {e["code"] for e in result.errors}
    assert "withdrawal_period_over" in codes
    assert "not_withdrawable" in codes


@pytest.mark.django_db
def test_withdrawal_always_offers_a_refund_even_when_the_store_does_not():
    use_policy(window_days=30, offers_refund=False)
    order = delivered_order(country="BR")

    assert Resolution.REFUND in evaluate_order(order, at=DELIVERED).resolutions
    assert withdraw(order, 1, at=DELIVERED).errors == []
    plain = estimate(
        order,
        [RequestedLine(only_line(order).pk, 1, "size_too_small")],
        resolution=Resolution.REFUND,
        at=datetime(2026, 3, 20, tzinfo=UTC),  # after the withdrawal period
    )
    assert [e["code"] for e in plain.errors] == ["resolution_not_offered"]


@pytest.mark.django_db
def test_a_store_return_of_a_line_only_the_law_makes_returnable_is_refused():
    use_policy(window_days=30)
    order = delivered_order(country="BR", final_sale=True)

    result = estimate(
        order,
        [RequestedLine(only_line(order).pk, 1, "size_too_small")],
        resolution=Resolution.REFUND,
        at=DELIVERED,
    )

    assert result.errors == [
        {
            "field": "lines[0].order_line_id",
            "code": "withdrawal_only",
            "message": "This item can only be returned through the right of withdrawal.",
        }
    ]
    assert result.lines == []


@pytest.mark.django_db
def test_withdrawal_of_an_undelivered_line_is_refused():
    use_policy(window_days=30)
    delivered, waiting = variant(warehouse="EAST"), variant(warehouse="WEST")
    order = place([(delivered, 1), (waiting, 1)], country="BR")
    first = order.shipments.order_by("pk").first()
    deliver_shipment(first)
    waiting_line = OrderLine.objects.get(order=order, variant=waiting)

    result = withdraw(order, 1, at=DELIVERED, line=waiting_line)

    assert [e["code"] for e in result.errors] == ["not_delivered"]


@pytest.mark.django_db
def test_statutory_period_counts_from_the_last_parcel_delivered():
    use_policy(window_days=30)
    first = variant(warehouse="EAST", currency="EUR")
    second = variant(warehouse="WEST", currency="EUR")
    order = place([(first, 1), (second, 1)], country="FR", currency="EUR")
    early, late = order.shipments.order_by("pk")
    deliver_shipment(early, datetime(2026, 3, 1, 10, tzinfo=UTC))
    deliver_shipment(late, datetime(2026, 3, 5, 10, tzinfo=UTC))

    decision = evaluate_order(order, at=DELIVERED)

    # Directive 2011/83/EU art. 9(2)(b)(i): 14 days from the last good.
    assert decision.withdrawal.ends_at == datetime(2026, 3, 19, 23, 59, 59, 999999, tzinfo=PARIS)
