"""The store's return window: counted from the delivery of the line's parcel, closing at the end
of the last day where the customer is, with per-product and per-category overrides; final-sale
items; units already returned or in an open return. Orders ship to the US here (no statutory
withdrawal), so only the store policy decides."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from returns.policy import Code, evaluate_order
from tests.returns.policy_helpers import (
    DELIVERED,
    claim,
    deliver_shipment,
    delivered_order,
    only_line,
    override,
    place,
    use_policy,
    variant,
)

SAO_PAULO = ZoneInfo("America/Sao_Paulo")
TOKYO = ZoneInfo("Asia/Tokyo")
BERLIN = ZoneInfo("Europe/Berlin")


def decide(order, at):
    return evaluate_order(order, at=at).lines[0]


@pytest.mark.django_db
def test_window_closes_at_the_end_of_the_last_day_in_the_customers_time_zone():
    use_policy(window_days=30)
    # 10:00 UTC is 07:00 in São Paulo: 1 March there; the 30th day after it is 31 March.
    order = delivered_order(country="US", time_zone="America/Sao_Paulo", delivered_at=DELIVERED)

    last_minute = decide(order, datetime(2026, 3, 31, 23, 59, 59, tzinfo=SAO_PAULO))
    next_day = decide(order, datetime(2026, 4, 1, 0, 0, tzinfo=SAO_PAULO))

    assert last_minute.is_returnable
    assert last_minute.code == Code.RETURNABLE
    assert last_minute.returnable_quantity == 3
    assert last_minute.explanation == "Returnable until 31 March 2026."
    assert last_minute.window_ends_at == datetime(2026, 3, 31, 23, 59, 59, 999999, tzinfo=SAO_PAULO)
    assert not next_day.is_returnable
    assert next_day.code == Code.WINDOW_CLOSED
    assert next_day.returnable_quantity == 0
    assert next_day.explanation == "The return window closed on 31 March 2026."


@pytest.mark.django_db
def test_window_in_a_zone_ahead_of_utc_counts_the_customers_calendar_day():
    use_policy(window_days=30)
    # 20:00 UTC on 1 March is 05:00 on 2 March in Tokyo: the window runs to 1 April, Tokyo time,
    # which ends at 14:59:59 UTC (a UTC-based count would have closed it on 31 March).
    order = delivered_order(
        country="US", time_zone="Asia/Tokyo", delivered_at=datetime(2026, 3, 1, 20, tzinfo=UTC)
    )

    assert decide(order, datetime(2026, 4, 1, 14, 59, 59, tzinfo=UTC)).is_returnable
    closed = decide(order, datetime(2026, 4, 1, 15, 0, tzinfo=UTC))
    assert closed.code == Code.WINDOW_CLOSED
    assert closed.explanation == "The return window closed on 1 April 2026."


@pytest.mark.django_db
def test_window_end_follows_daylight_saving_time_in_the_customers_zone():
    use_policy(window_days=14)
    # Delivered in winter time (UTC+1); the window ends on 3 April in summer time (UTC+2).
    order = delivered_order(
        country="US", time_zone="Europe/Berlin", delivered_at=datetime(2026, 3, 20, 9, tzinfo=UTC)
    )

    decision = decide(order, datetime(2026, 4, 3, 21, 59, tzinfo=UTC))

    assert decision.is_returnable
    assert decision.window_ends_at == datetime(2026, 4, 3, 23, 59, 59, 999999, tzinfo=BERLIN)
    assert not decide(order, datetime(2026, 4, 3, 22, 0, tzinfo=UTC)).is_returnable


@pytest.mark.django_db
def test_blank_time_zone_uses_the_usual_zone_of_the_country_the_order_ships_to():
    use_policy(window_days=30)
    order = delivered_order(country="US", time_zone="")

    decision = evaluate_order(order, at=DELIVERED)

    assert decision.time_zone == "America/New_York"
    assert decision.lines[0].window_ends_at == datetime(
        2026, 3, 31, 23, 59, 59, 999999, tzinfo=ZoneInfo("America/New_York")
    )


@pytest.mark.django_db
def test_unknown_time_zone_setting_is_ignored_for_the_countrys_zone():
    use_policy(window_days=30)
    order = delivered_order(country="US", time_zone="Mars/Olympus_Mons")

    assert evaluate_order(order, at=DELIVERED).time_zone == "America/New_York"


@pytest.mark.django_db
def test_each_line_counts_its_window_from_the_delivery_of_its_own_parcel():
    use_policy(window_days=30)
    # Stocked in two warehouses: two parcels, delivered nine days apart.
    early, late = variant(warehouse="EAST"), variant(warehouse="WEST")
    order = place([(early, 1), (late, 1)], country="US", time_zone="UTC")
    shipments = list(order.shipments.order_by("pk"))
    assert len(shipments) == 2
    deliver_shipment(shipments[0], datetime(2026, 3, 1, 10, tzinfo=UTC))
    deliver_shipment(shipments[1], datetime(2026, 3, 10, 10, tzinfo=UTC))

    decision = evaluate_order(order, at=datetime(2026, 4, 5, tzinfo=UTC))

    by_variant = {d.order_line.variant_id: d for d in decision.lines}
    first_line = shipments[0].lines.get().line
    assert by_variant[first_line.variant_id].code == Code.WINDOW_CLOSED
    other = next(d for d in decision.lines if d.order_line.pk != first_line.pk)
    assert other.code == Code.RETURNABLE
    assert other.explanation == "Returnable until 9 April 2026."


@pytest.mark.django_db
def test_line_not_delivered_yet_is_not_returnable():
    use_policy(window_days=30)
    made = variant()
    order = place([(made, 2)], country="US")

    decision = decide(order, DELIVERED)

    assert decision.code == Code.NOT_DELIVERED
    assert not decision.is_returnable
    assert decision.returnable_quantity == 0
    assert decision.explanation == "This item has not been delivered yet."
    assert evaluate_order(order, at=DELIVERED).has_returnable_lines is False


@pytest.mark.django_db
def test_shipped_but_not_delivered_is_not_returnable():
    use_policy(window_days=30)
    order = place([(variant(), 2)], country="US")
    from orders import services
    from tests.orders.builders import ACTOR

    services.ship_shipment(
        shipment=order.shipments.get(), carrier="ups", tracking_number="1ZINTRANSIT", actor=ACTOR
    )

    assert decide(order, DELIVERED).code == Code.NOT_DELIVERED


@pytest.mark.django_db
def test_final_sale_line_is_not_returnable_under_the_store_policy():
    use_policy(window_days=30)
    order = delivered_order(country="US", final_sale=True)

    decision = decide(order, DELIVERED + timedelta(days=1))

    assert not decision.is_returnable
    assert decision.code == Code.FINAL_SALE
    assert decision.explanation == "Final sale items cannot be returned."
    assert decision.window_ends_at is None


@pytest.mark.django_db
def test_line_marked_final_sale_at_checkout_is_not_returnable_either():
    use_policy(window_days=30)
    order = delivered_order(country="US")
    only_line(order).__class__.objects.filter(order=order).update(is_final_sale=True)

    assert decide(order, DELIVERED).code == Code.FINAL_SALE


@pytest.mark.django_db
def test_product_override_beats_category_override_beats_policy_window():
    policy = use_policy(window_days=30)
    order = delivered_order(country="US", time_zone="UTC")
    product = only_line(order).variant.product
    at = datetime(2026, 3, 20, tzinfo=UTC)

    assert decide(order, at).is_returnable  # the policy's 30 days

    override(policy, category=product.category, days=10)
    category = decide(order, at)
    assert category.code == Code.WINDOW_CLOSED
    assert category.window_ends_at == datetime(2026, 3, 11, 23, 59, 59, 999999, tzinfo=UTC)

    override(policy, product=product, days=60)
    assert decide(order, datetime(2026, 4, 30, tzinfo=UTC)).is_returnable
    assert decide(order, datetime(2026, 4, 30, tzinfo=UTC)).window_ends_at.date().isoformat() == (
        "2026-04-30"
    )


@pytest.mark.django_db
def test_zero_day_override_makes_the_product_not_returnable():
    policy = use_policy(window_days=30)
    order = delivered_order(country="US")
    override(policy, product=only_line(order).variant.product, days=0)

    decision = decide(order, DELIVERED)

    assert not decision.is_returnable
    assert decision.code == Code.NOT_RETURNABLE
    assert decision.explanation == "This item cannot be returned."


@pytest.mark.django_db
def test_override_of_another_policy_does_not_apply():
    old = use_policy(window_days=30)
    order = delivered_order(country="US")
    override(old, product=only_line(order).variant.product, days=0)
    use_policy(window_days=30)

    assert decide(order, DELIVERED).is_returnable


@pytest.mark.django_db
def test_units_already_returned_are_not_returnable_again():
    use_policy(window_days=30)
    order = delivered_order(country="US", quantity=3)
    only_line(order).__class__.objects.filter(order=order).update(quantity_returned=2)

    decision = decide(order, DELIVERED)

    assert decision.is_returnable
    assert decision.returnable_quantity == 1


@pytest.mark.django_db
def test_units_in_an_open_return_are_not_offered_to_a_second_return():
    use_policy(window_days=30)
    order = delivered_order(country="US", quantity=3)
    claim(order, only_line(order), 2, status="approved")

    assert decide(order, DELIVERED).returnable_quantity == 1


@pytest.mark.django_db
def test_every_unit_in_open_returns_gives_in_open_return():
    use_policy(window_days=30)
    order = delivered_order(country="US", quantity=3)
    claim(order, only_line(order), 2, status="requested")
    claim(order, only_line(order), 1, status="in_transit")

    decision = decide(order, DELIVERED)

    assert not decision.is_returnable
    assert decision.code == Code.IN_OPEN_RETURN
    assert decision.explanation == "Every unit of this item is already in an open return."


@pytest.mark.django_db
@pytest.mark.parametrize("status", ["rejected", "cancelled", "expired"])
def test_a_void_return_gives_its_units_back(status):
    use_policy(window_days=30)
    order = delivered_order(country="US", quantity=3)
    claim(order, only_line(order), 3, status=status)

    assert decide(order, DELIVERED).returnable_quantity == 3


@pytest.mark.django_db
def test_units_of_a_closed_return_counted_in_quantity_returned_are_not_counted_twice():
    use_policy(window_days=30)
    order = delivered_order(country="US", quantity=3)
    line = only_line(order)
    claim(order, line, 1, status="closed")
    line.__class__.objects.filter(pk=line.pk).update(quantity_returned=1)
    claim(order, line, 1, status="received")

    decision = decide(order, DELIVERED)

    assert decision.returnable_quantity == 1


@pytest.mark.django_db
def test_every_unit_returned_gives_fully_returned():
    use_policy(window_days=30)
    order = delivered_order(country="US", quantity=2)
    claim(order, only_line(order), 2, status="refunded")

    decision = decide(order, DELIVERED)

    assert decision.code == Code.FULLY_RETURNED
    assert decision.explanation == "Every unit of this item has been returned."
