"""estimate: what a return would bring, and every reason it is refused, before anything is
written. Per-reason rules (photo, who pays return shipping, restocking fee, keep it, review),
money that adds up exactly, exchanges, the store-credit bonus and the warehouse."""

from decimal import Decimal

import pytest

from orders import pricing
from orders.models import Order, OrderLine
from returns.models import Resolution, ReturnRequest
from returns.policy import RequestedLine, estimate
from tests.factories import WarehouseFactory
from tests.returns.policy_helpers import (
    DELIVERED,
    claim,
    deliver_all,
    delivered_order,
    only_line,
    place,
    rule,
    use_policy,
    variant,
)

D = Decimal


def ask(order, *lines, resolution=Resolution.REFUND):
    return estimate(
        order, [RequestedLine(*line) for line in lines], resolution=resolution, at=DELIVERED
    )


def codes(result):
    return [(e["field"], e["code"]) for e in result.errors]


def us_order(**kwargs):
    kwargs.setdefault("country", "US")
    return delivered_order(**kwargs)


@pytest.mark.django_db
def test_a_plain_return_is_valid_and_priced_at_what_was_paid():
    use_policy(window_days=30, refund_release="first_scan")
    order = us_order(quantity=3)

    result = ask(order, (only_line(order).pk, 2, "size_too_small"))

    assert result.is_valid
    assert result.currency == "USD"
    assert result.items_amount == D("50.00")
    assert result.lines[0].unit_amount == D("25.00")
    assert result.lines[0].amount == D("50.00")
    assert result.total == D("50.00")
    assert result.refund_release == "first_scan"
    assert not result.requires_review
    assert not result.is_keep_it
    assert result.exchange_difference == D("0.00")
    assert ReturnRequest.objects.count() == 0  # an estimate writes nothing


@pytest.mark.django_db
def test_units_returned_in_several_returns_add_up_to_exactly_the_line_amount():
    use_policy(window_days=30)
    order = us_order(quantity=3)
    line = only_line(order)
    OrderLine.objects.filter(pk=line.pk).update(discount=D("10.00"))  # 65.00 for 3 units
    line.refresh_from_db()

    first = ask(order, (line.pk, 1, "size_too_small"))
    claim(order, line, 1)
    rest = ask(order, (line.pk, 2, "size_too_small"))

    assert first.lines[0].amount == pricing.line_amount(line, 1, "USD") == D("21.67")
    assert first.lines[0].unit_amount == D("21.67")
    assert rest.lines[0].amount == D("43.33")
    assert first.items_amount + rest.items_amount == pricing.line_amount(line, 3, "USD")


@pytest.mark.django_db
def test_photo_required_reason_without_a_photo_is_refused():
    policy = use_policy(window_days=30)
    rule(policy, "damaged", requires_photo=True)
    order = us_order()
    line = only_line(order)

    without = ask(order, (line.pk, 1, "damaged", "", None, 0))
    with_photo = ask(order, (line.pk, 1, "damaged", "", None, 1))

    assert codes(without) == [("lines[0].photos", "photo_required")]
    assert without.errors[0]["message"] == "Add a photo of the item for this reason."
    assert with_photo.is_valid


@pytest.mark.django_db
def test_customer_pays_return_shipping_once_per_return_when_a_reason_says_so():
    policy = use_policy(window_days=30, return_shipping_fee=D("6.95"))
    rule(policy, "no_longer_wanted", return_shipping_paid_by="customer")
    rule(policy, "size_too_small", return_shipping_paid_by="store")
    order = place([(variant(), 1), (variant(), 1)], country="US")
    deliver_all(order)
    first, second = order.lines.order_by("line_number")

    store_pays = ask(order, (first.pk, 1, "size_too_small"))
    customer_pays = ask(
        order, (first.pk, 1, "no_longer_wanted"), (second.pk, 1, "no_longer_wanted")
    )
    mixed = ask(order, (first.pk, 1, "size_too_small"), (second.pk, 1, "no_longer_wanted"))

    assert store_pays.return_shipping_fee == D("0.00")
    assert customer_pays.return_shipping_fee == D("6.95")
    assert customer_pays.total == D("43.05")
    assert mixed.return_shipping_fee == D("6.95")


@pytest.mark.django_db
def test_restocking_fee_is_the_reasons_percent_of_the_line_quantized():
    policy = use_policy(window_days=30)
    rule(policy, "no_longer_wanted", restocking_fee_percent=D("15"))
    order = us_order(quantity=3, price="19.99")

    result = ask(order, (only_line(order).pk, 1, "no_longer_wanted"))

    assert result.lines[0].restocking_fee == D("3.00")  # 2.9985 rounded half up
    assert result.restocking_fee == D("3.00")
    assert result.total == D("16.99")


@pytest.mark.django_db
def test_keep_it_when_every_line_is_worth_at_most_its_reasons_keep_it_amount():
    policy = use_policy(window_days=30, return_shipping_fee=D("6.95"))
    rule(policy, "damaged", keep_it_max_amount=D("15.00"), return_shipping_paid_by="customer")
    rule(policy, "defective", keep_it_max_amount=D("0"))
    order = us_order(quantity=2, price="15.00")
    line = only_line(order)

    cheap = ask(order, (line.pk, 1, "damaged", "", None, 1))
    too_much = ask(order, (line.pk, 2, "damaged", "", None, 1))
    never = ask(order, (line.pk, 1, "defective"))

    assert cheap.is_keep_it
    assert cheap.return_shipping_fee == D("0.00")  # nothing to send back
    assert cheap.total == D("15.00")
    assert not too_much.is_keep_it
    assert too_much.return_shipping_fee == D("6.95")
    assert not never.is_keep_it


@pytest.mark.django_db
def test_a_reason_that_needs_review_puts_the_return_in_the_review_queue():
    policy = use_policy(window_days=30)
    rule(policy, "other", requires_review=True)
    order = us_order()
    line = only_line(order)

    assert ask(order, (line.pk, 1, "other")).requires_review
    assert not ask(order, (line.pk, 1, "size_too_small")).requires_review


@pytest.mark.django_db
def test_a_disabled_or_unknown_reason_is_refused_and_a_blank_one_is_required():
    policy = use_policy(window_days=30)
    rule(policy, "arrived_late", is_enabled=False)
    order = us_order()
    line = only_line(order)

    assert codes(ask(order, (line.pk, 1, "arrived_late"))) == [
        ("lines[0].reason", "invalid_reason")
    ]
    assert codes(ask(order, (line.pk, 1, "bored"))) == [("lines[0].reason", "invalid_reason")]
    assert codes(ask(order, (line.pk, 1, "withdrawal"))) == [("lines[0].reason", "invalid_reason")]
    assert codes(ask(order, (line.pk, 1, ""))) == [("lines[0].reason", "reason_required")]


@pytest.mark.django_db
def test_quantities_must_be_between_one_and_the_returnable_units():
    use_policy(window_days=30)
    order = us_order(quantity=3)
    line = only_line(order)
    claim(order, line, 1)

    too_many = ask(order, (line.pk, 3, "size_too_small"))
    none = ask(order, (line.pk, 0, "size_too_small"))

    assert codes(too_many) == [("lines[0].quantity", "too_many_units")]
    assert too_many.errors[0]["message"] == "At most 2 units of this item can be returned."
    assert too_many.lines == []
    assert codes(none) == [("lines[0].quantity", "invalid_quantity")]


@pytest.mark.django_db
def test_a_line_of_another_order_or_a_line_listed_twice_is_refused():
    use_policy(window_days=30)
    order = us_order()
    stranger = us_order()
    line = only_line(order)

    foreign = ask(order, (only_line(stranger).pk, 1, "size_too_small"))
    twice = ask(order, (line.pk, 1, "size_too_small"), (line.pk, 1, "size_too_small"))
    nothing = ask(order)

    assert codes(foreign) == [("lines[0].order_line_id", "unknown_line")]
    assert codes(twice) == [("lines[1].order_line_id", "duplicate_line")]
    assert codes(nothing) == [("lines", "no_lines")]


@pytest.mark.django_db
def test_a_line_the_policy_refuses_carries_the_decisions_code_and_explanation():
    use_policy(window_days=30)
    order = us_order(final_sale=True)

    result = ask(order, (only_line(order).pk, 1, "size_too_small"))

    assert result.errors == [
        {
            "field": "lines[0].order_line_id",
            "code": "final_sale",
            "message": "Final sale items cannot be returned.",
        }
    ]


@pytest.mark.django_db
def test_a_resolution_the_policy_does_not_offer_is_refused():
    use_policy(window_days=30, offers_store_credit=False)
    order = us_order()

    result = ask(order, (only_line(order).pk, 1, "size_too_small"), resolution="store_credit")

    assert codes(result) == [("resolution", "resolution_not_offered")]


@pytest.mark.django_db
def test_store_credit_earns_the_bonus_on_items_minus_fees_and_only_store_credit_does():
    policy = use_policy(
        window_days=30, store_credit_bonus_percent=D("10"), return_shipping_fee=D("5.00")
    )
    rule(policy, "no_longer_wanted", return_shipping_paid_by="customer")
    order = us_order(quantity=2)
    line = (only_line(order).pk, 2, "no_longer_wanted")

    credit = ask(order, line, resolution="store_credit")
    refund = ask(order, line, resolution="refund")

    assert credit.bonus_amount == D("4.50")  # 10 % of 50.00 - 5.00
    assert credit.total == D("49.50")
    assert refund.bonus_amount == D("0.00")
    assert refund.total == D("45.00")


@pytest.mark.django_db
def test_the_total_is_never_below_zero():
    policy = use_policy(window_days=30, return_shipping_fee=D("9.00"))
    rule(
        policy,
        "no_longer_wanted",
        restocking_fee_percent=D("100"),
        return_shipping_paid_by="customer",
    )
    order = us_order(price="5.00")

    result = ask(order, (only_line(order).pk, 1, "no_longer_wanted"))

    assert result.restocking_fee == D("5.00")
    assert result.total == D("0.00")


@pytest.mark.django_db
def test_the_total_never_exceeds_what_the_order_still_holds():
    use_policy(window_days=30)
    order = us_order(quantity=2)
    Order.objects.filter(pk=order.pk).update(refunded_for_returns=order.total - D("10.00"))
    order.refresh_from_db()

    result = ask(order, (only_line(order).pk, 2, "size_too_small"))

    assert result.items_amount == D("50.00")
    assert result.total == D("10.00")
    assert result.is_capped


@pytest.mark.django_db
def test_exchange_for_another_active_variant_of_the_same_product():
    use_policy(window_days=30)
    order = us_order(quantity=2)
    line = only_line(order)
    larger = variant(product=line.variant.product, price="30.00")

    result = ask(order, (line.pk, 2, "size_too_small", "", larger.pk), resolution="exchange")

    assert result.is_valid
    assert result.lines[0].exchange_variant == larger
    assert result.lines[0].exchange_amount == D("60.00")
    assert result.exchange_difference == D("10.00")  # the customer pays the difference


@pytest.mark.django_db
def test_exchange_variant_must_be_another_active_variant_of_the_product_in_the_currency():
    use_policy(window_days=30)
    order = us_order()
    line = only_line(order)
    product = line.variant.product
    inactive = variant(product=product, is_active=False)
    in_euros = variant(product=product, currency="EUR")
    elsewhere = variant()
    variant(product=product)  # so an exchange is offered at all

    def exchange_to(variant_id):
        return codes(
            ask(order, (line.pk, 1, "size_too_small", "", variant_id), resolution="exchange")
        )

    bad = [("lines[0].exchange_variant_id", "invalid_exchange_variant")]
    assert exchange_to(inactive.pk) == bad
    assert exchange_to(in_euros.pk) == bad
    assert exchange_to(elsewhere.pk) == bad
    assert exchange_to(line.variant_id) == bad
    assert exchange_to(None) == [("lines[0].exchange_variant_id", "exchange_variant_required")]


@pytest.mark.django_db
def test_an_exchange_variant_on_a_refund_is_refused():
    use_policy(window_days=30)
    order = us_order()
    line = only_line(order)
    other = variant(product=line.variant.product)

    result = ask(order, (line.pk, 1, "size_too_small", "", other.pk))

    assert codes(result) == [("lines[0].exchange_variant_id", "exchange_variant_not_expected")]


@pytest.mark.django_db
def test_return_goes_to_the_policys_warehouse_else_the_one_that_shipped_the_line():
    policy = use_policy(window_days=30)
    order = us_order()
    line = (only_line(order).pk, 1, "size_too_small")

    assert ask(order, line).warehouse.code == "MAIN"

    policy.return_warehouse = WarehouseFactory(code="RETURNS")
    policy.save()
    assert ask(order, line).warehouse.code == "RETURNS"


@pytest.mark.django_db
def test_estimate_runs_a_bounded_number_of_queries_whatever_the_number_of_lines(
    django_assert_max_num_queries,
):
    policy = use_policy(window_days=30)
    rule(policy, "size_too_small")
    few = place([(variant(), 1)], country="BR")
    many = place([(variant(), 1) for _ in range(12)], country="BR")
    deliver_all(few)
    deliver_all(many)
    for line in many.lines.all()[:6]:
        claim(many, line, 1)
    requested = [(line.pk, 1, "size_too_small") for line in many.lines.all()[6:]]

    with django_assert_max_num_queries(10):
        ask(few, (only_line(few).pk, 1, "size_too_small"))
    with django_assert_max_num_queries(10):
        result = ask(many, *requested)
    assert result.is_valid
    assert len(result.lines) == 6
