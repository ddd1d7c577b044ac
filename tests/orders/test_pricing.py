"""Money properties of orders.pricing, in currencies with 0, 2 and 3 decimals, and the same rules
through the real services: stored totals are a cache that recomputes, refunds never exceed
captures."""

import itertools
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from oms.actors import Actor
from oms.exceptions import ValidationFailed
from orders import money, pricing, services
from orders.models import Order, OrderLine, Payment, Shipment, Stock
from orders.models.fulfilment import IN_WAREHOUSE
from tests.factories import StockFactory, VariantFactory, WarehouseFactory

CURRENCIES = ["JPY", "USD", "BRL", "KWD"]
MAX_UNIT_MINOR = 10**7  # unit prices up to 10^7 minor units: 10^4 major in KWD, 10^7 in JPY


@dataclass
class Line:
    quantity: int
    unit_price: Decimal
    discount: Decimal
    quantity_cancelled: int = 0
    quantity_shipped: int = 0


@dataclass
class FakeOrder:
    currency: str
    shipping_price: Decimal
    order_discount: Decimal = Decimal(0)


def minor(units: int, currency: str) -> Decimal:
    """`units` minor units of the currency as a Decimal with exactly its decimals."""
    return Decimal(units).scaleb(-money.CURRENCY_EXPONENTS[currency])


@st.composite
def priced_lines(draw, currency: str) -> Line:
    quantity = draw(st.integers(min_value=1, max_value=1000))
    unit_price = minor(draw(st.integers(min_value=0, max_value=MAX_UNIT_MINOR)), currency)
    line_minor = int(unit_price * quantity / money.quantum(currency))
    discount = minor(draw(st.integers(min_value=0, max_value=line_minor)), currency)
    cancelled = draw(st.integers(min_value=0, max_value=quantity))
    return Line(quantity, unit_price, discount, quantity_cancelled=cancelled)


@st.composite
def orders_with_lines(draw) -> tuple[FakeOrder, list[Line]]:
    currency = draw(st.sampled_from(CURRENCIES))
    shipping = minor(draw(st.integers(min_value=0, max_value=10**5)), currency)
    lines = draw(st.lists(priced_lines(currency), min_size=1, max_size=8))
    # A CSR's discount on the whole order: sometimes none, sometimes more than the order is worth.
    order_discount = minor(draw(st.sampled_from([0, 1, 10**3, 10**9])), currency)
    return FakeOrder(currency, shipping, order_discount), lines


def has_currency_decimals(amount: Decimal, currency: str) -> bool:
    return amount.as_tuple().exponent == -money.CURRENCY_EXPONENTS[currency]


@given(orders_with_lines())
def test_total_is_exactly_subtotal_minus_discounts_plus_shipping(order_and_lines):
    order, lines = order_and_lines
    totals = pricing.order_totals(order, lines)
    assert totals.total == totals.subtotal - totals.discount_total + totals.shipping_total
    assert totals.total >= 0


@given(orders_with_lines())
def test_every_amount_has_exactly_the_currency_decimals(order_and_lines):
    order, lines = order_and_lines
    totals = pricing.order_totals(order, lines)
    amounts = [totals.subtotal, totals.discount_total, totals.shipping_total, totals.total]
    for line in lines:
        active = line.quantity - line.quantity_cancelled
        amounts.append(pricing.line_discount(line, active, order.currency))
        amounts.append(pricing.line_amount(line, active, order.currency))
    assert all(has_currency_decimals(amount, order.currency) for amount in amounts), amounts
    assert (
        pricing.shipped_value(order, lines).as_tuple().exponent == totals.total.as_tuple().exponent
    )


@given(orders_with_lines())
def test_line_amounts_add_up_to_subtotal_minus_discounts(order_and_lines):
    order, lines = order_and_lines
    order.order_discount = Decimal(0)  # line amounts know nothing of a discount on the order
    totals = pricing.order_totals(order, lines)
    line_amounts = [
        pricing.line_amount(line, line.quantity - line.quantity_cancelled, order.currency)
        for line in lines
    ]
    assert sum(line_amounts, money.zero(order.currency)) == totals.subtotal - totals.discount_total
    assert all(amount >= 0 for amount in line_amounts)


def currency_and_line() -> st.SearchStrategy[tuple[str, Line]]:
    return st.sampled_from(CURRENCIES).flatmap(
        lambda currency: st.tuples(st.just(currency), priced_lines(currency))
    )


@given(currency_and_line(), st.data())
def test_discount_share_of_remaining_units_never_exceeds_the_line_discount(currency_line, data):
    currency, line = currency_line
    units = data.draw(st.integers(min_value=0, max_value=line.quantity))
    share = pricing.line_discount(line, units, currency)
    assert 0 <= share <= line.discount
    assert pricing.line_amount(line, units, currency) >= 0
    assert pricing.line_discount(line, line.quantity, currency) == line.discount
    assert pricing.line_discount(line, 0, currency) == 0


@given(currency_and_line(), st.data())
def test_cancelling_more_units_never_raises_what_the_line_costs(currency_line, data):
    currency, line = currency_line
    fewer = data.draw(st.integers(min_value=0, max_value=line.quantity))
    more = data.draw(st.integers(min_value=fewer, max_value=line.quantity))
    assert pricing.line_amount(line, fewer, currency) <= pricing.line_amount(line, more, currency)


@given(orders_with_lines())
def test_cancelling_everything_gives_a_zero_total_and_drops_shipping(order_and_lines):
    order, lines = order_and_lines
    for line in lines:
        line.quantity_cancelled = line.quantity
    totals = pricing.order_totals(order, lines)
    assert totals == pricing.Totals(*[money.zero(order.currency)] * 4)
    assert pricing.shipped_value(order, lines) == 0


@given(orders_with_lines(), st.data())
def test_shipped_value_never_exceeds_what_is_owed(order_and_lines, data):
    order, lines = order_and_lines
    for line in lines:
        active = line.quantity - line.quantity_cancelled
        line.quantity_shipped = data.draw(st.integers(min_value=0, max_value=active))
    assert pricing.shipped_value(order, lines) <= pricing.order_totals(order, lines).total


@given(orders_with_lines())
def test_an_order_discount_never_takes_the_total_below_zero(order_and_lines):
    order, lines = order_and_lines
    totals = pricing.order_totals(order, lines)
    without = pricing.order_totals(FakeOrder(order.currency, order.shipping_price), lines)
    assert totals.total >= 0
    assert totals.total == max(without.total - order.order_discount, Decimal(0))
    assert totals.discount_total - without.discount_total == without.total - totals.total


def test_half_minor_unit_discount_shares_round_half_up():
    line = Line(quantity=2, unit_price=Decimal("0.01"), discount=Decimal("0.01"))
    assert pricing.line_discount(line, 1, "USD") == Decimal("0.01")
    assert pricing.line_amount(line, 1, "USD") == Decimal("0.00")
    line = Line(quantity=2, unit_price=Decimal("1"), discount=Decimal("1"))
    assert pricing.line_discount(line, 1, "JPY") == Decimal("1")
    line = Line(quantity=2, unit_price=Decimal("0.001"), discount=Decimal("0.001"))
    assert pricing.line_discount(line, 1, "KWD") == Decimal("0.001")


@given(
    st.sampled_from(CURRENCIES),
    st.integers(min_value=-(10**40), max_value=10**40),
    st.integers(min_value=-6, max_value=20),
)
def test_precision_check_reads_any_amount_without_raising(currency, coefficient, exponent):
    amount = Decimal(f"{coefficient}E{-exponent}")  # exact: scaleb would round to 28 digits
    expected = (
        coefficient == 0
        or exponent <= money.CURRENCY_EXPONENTS[currency]
        or (coefficient % 10 ** (exponent - money.CURRENCY_EXPONENTS[currency]) == 0)
    )
    assert money.has_valid_precision(amount, currency) == expected


@pytest.mark.parametrize("amount", ["NaN", "Infinity", "-Infinity", "sNaN"])
def test_non_finite_amounts_never_have_a_valid_precision(amount):
    assert not money.has_valid_precision(Decimal(amount), "USD")


@pytest.mark.parametrize(
    ("price", "quantity", "shipping"),
    [("99999999999.999", 1, "0.001"), ("50000000000", 2, "0"), ("1", 1, "99999999999.999")],
)
def test_totals_beyond_what_money_columns_hold_are_refused(price, quantity, shipping):
    line = Line(quantity=quantity, unit_price=Decimal(price), discount=Decimal(0))
    with pytest.raises(ValidationFailed) as refused:
        pricing.order_totals(FakeOrder("KWD", Decimal(shipping)), [line])
    assert refused.value.code == "amount_too_large"


def test_the_largest_storable_total_is_accepted():
    line = Line(quantity=1, unit_price=money.MAX_AMOUNT - 1, discount=Decimal(0))
    assert pricing.order_totals(FakeOrder("KWD", Decimal(1)), [line]).total == money.MAX_AMOUNT


# --- Through the services ----------------------------------------------------------------------

ADDRESS = {
    "name": "Ana Souza",
    "line1": "Rua Augusta 100",
    "city": "São Paulo",
    "region": "SP",
    "postal_code": "01305-000",
    "country": "BR",
}
CARD = services.PaymentInput(gateway="sandbox", token="4242424242424242")


def order_input(currency: str, lines: list[services.LineInput], shipping: Decimal):
    return services.OrderInput(
        channel="web",
        customer=services.CustomerInput(email="ana@example.com", name="Ana Souza"),
        shipping_address=ADDRESS,
        lines=lines,
        shipping_price=shipping,
        currency=currency,
        payment=CARD,
    )


def assert_stored_totals_recompute(order: Order) -> None:
    order.refresh_from_db()
    recomputed = pricing.order_totals(order, list(OrderLine.objects.filter(order=order)))
    stored = (order.subtotal, order.discount_total, order.shipping_total, order.total)
    assert stored == (
        recomputed.subtotal,
        recomputed.discount_total,
        recomputed.shipping_total,
        recomputed.total,
    )
    assert all(money.has_valid_precision(amount, order.currency) for amount in stored)


@pytest.mark.parametrize(
    ("currency", "prices", "discounts", "shipping"),
    [
        ("JPY", ["1500", "999"], ["0", "1"], "500"),
        ("USD", ["19.99", "0.01"], ["3.33", "0.01"], "5.00"),
        ("BRL", ["129.90", "7.45"], ["10.01", "0"], "0"),
        ("KWD", ["12.345", "0.001"], ["1.001", "0"], "1.250"),
    ],
)
def test_stored_order_totals_equal_totals_recomputed_from_the_lines(
    db, system_actor, currency, prices, discounts, shipping
):
    warehouse = WarehouseFactory(code="EAST", priority=10)
    lines = []
    for index, (price, discount) in enumerate(zip(prices, discounts, strict=True)):
        variant = VariantFactory(sku=f"SKU-{index}", currency=currency, price=Decimal(price))
        StockFactory(variant=variant, warehouse=warehouse, on_hand=50)
        lines.append(
            services.LineInput(sku=variant.sku, quantity=3 + index, discount=Decimal(discount))
        )
    order = services.place_order(
        data=order_input(currency, lines, Decimal(shipping)), actor=system_actor
    )
    assert order.status == Order.Status.CONFIRMED
    assert_stored_totals_recompute(order)
    assert order.payments.get().amount_authorized == order.total

    first = OrderLine.objects.filter(order=order).first()
    services.cancel_lines(order=order, lines=[(first.pk, 1)], actor=system_actor, reason="test")
    assert_stored_totals_recompute(order)
    services.cancel_order(order=order, actor=system_actor, reason="test")
    assert_stored_totals_recompute(order)
    assert order.total == 0


@pytest.mark.parametrize(
    ("unit_price", "code"),
    [(Decimal("1e30"), "invalid_order"), (Decimal("99999999999.99"), "amount_too_large")],
)
def test_placing_an_order_too_large_to_record_is_refused_and_creates_nothing(
    db, system_actor, unit_price, code
):
    warehouse = WarehouseFactory(code="EAST", priority=10)
    variant = VariantFactory(sku="GOLD", currency="USD", price=Decimal("10.00"))
    StockFactory(variant=variant, warehouse=warehouse, on_hand=5)
    with pytest.raises(ValidationFailed) as refused:
        services.place_order(
            data=order_input(
                "USD",
                [services.LineInput(sku="GOLD", quantity=2, unit_price=unit_price)],
                Decimal(0),
            ),
            actor=system_actor,
        )
    assert refused.value.code == code  # one unit too large, or the line's total too large
    assert not Order.objects.exists()
    assert Stock.objects.get().allocated == 0


# --- Refunds never exceed captures -------------------------------------------------------------


@st.composite
def order_scenarios(draw) -> dict:
    currency = draw(st.sampled_from(["JPY", "USD", "KWD"]))
    line_count = draw(st.integers(min_value=1, max_value=3))
    lines = []
    for _ in range(line_count):
        quantity = draw(st.integers(min_value=1, max_value=6))
        price = minor(draw(st.integers(min_value=1, max_value=10**5)), currency)
        line_minor = int(price * quantity / money.quantum(currency))
        discount = minor(draw(st.integers(min_value=0, max_value=line_minor)), currency)
        east = draw(st.integers(min_value=0, max_value=quantity))
        west = quantity - east + draw(st.integers(min_value=0, max_value=1))
        lines.append(
            {"quantity": quantity, "price": price, "discount": discount, "east": east, "west": west}
        )
    return {
        "currency": currency,
        "shipping": minor(draw(st.integers(min_value=0, max_value=2000)), currency),
        "lines": lines,
        # (action, which shipment or line, how many units): interpreted against the state then.
        "steps": draw(
            st.lists(
                st.tuples(
                    st.sampled_from(
                        [
                            "ship",
                            "ship",
                            "split",
                            "cancel_units",
                            "cancel_units",
                            "cancel_order",
                            "discount",
                        ]
                    ),
                    st.integers(min_value=0, max_value=5),
                    st.integers(min_value=1, max_value=6),
                ),
                max_size=6,
            )
        ),
        "finish_by_shipping": draw(st.booleans()),
        # A price adjustment once everything has shipped: (line, sixths of it); 0 sixths: none.
        "adjust_after": draw(st.tuples(st.integers(0, 5), st.integers(0, 6))),
    }


def open_shipments(order: Order) -> list[Shipment]:
    return list(
        Shipment.objects.filter(order=order, status__in=IN_WAREHOUSE, lines__isnull=False)
        .distinct()
        .select_related("warehouse")
        .order_by("pk")
    )


def waiting_units(shipment: Shipment) -> dict[int, int]:
    return dict(shipment.lines.values_list("line_id", "quantity"))


def lower_the_price(*, order: Order, which: int, sixths: int, actor: Actor) -> None:
    """What a price adjustment does (its service is not built yet): raise one line's discount by
    `sixths`/6 of what is left of the line, and recompute the cached totals through pricing."""
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order.pk)
        lines = list(OrderLine.objects.filter(order=order).order_by("pk"))
        line = lines[which % len(lines)]
        left = money.quantize(line.unit_price * line.quantity, order.currency) - line.discount
        extra = (left * sixths / 6).quantize(money.quantum(order.currency), rounding=ROUND_DOWN)
        line.discount += extra
        line.save(update_fields=["discount"])
        totals = pricing.order_totals(order, lines)
        Order.objects.filter(pk=order.pk).update(
            subtotal=totals.subtotal,
            discount_total=totals.discount_total,
            shipping_total=totals.shipping_total,
            total=totals.total,
        )


def assert_payments_never_refund_more_than_captured(order: Order) -> None:
    for payment in Payment.objects.filter(order=order):
        assert 0 <= payment.amount_refunded <= payment.amount_captured, payment
        assert payment.amount_captured <= payment.amount_authorized, payment
    order.refresh_from_db()
    net = sum(p.amount_captured - p.amount_refunded for p in Payment.objects.filter(order=order))
    assert net <= order.total


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(scenario=order_scenarios())
def test_refunds_never_exceed_captures_whatever_ships_or_is_cancelled(
    db, django_capture_on_commit_callbacks, scenario
):
    """Ship, split, cancel and lower prices in random order, settling after each step: no
    payment refunds more than it captured or captures more than it authorized, and once every
    unit has shipped or been cancelled the money kept is exactly what the shipped goods cost."""
    actor = Actor.system("tests")
    tracking_numbers = itertools.count(1)
    with transaction.atomic():  # every example starts from an empty database
        east = WarehouseFactory(code="EAST", priority=10)
        west = WarehouseFactory(code="WEST", priority=20)
        line_inputs = []
        for index, line in enumerate(scenario["lines"]):
            variant = VariantFactory(
                sku=f"SKU-{index}", currency=scenario["currency"], price=line["price"]
            )
            # EAST holds part of the line, WEST the rest: many orders split over both.
            StockFactory(variant=variant, warehouse=east, on_hand=line["east"])
            StockFactory(variant=variant, warehouse=west, on_hand=line["west"])
            line_inputs.append(
                services.LineInput(
                    sku=variant.sku, quantity=line["quantity"], discount=line["discount"]
                )
            )

        def act(action, **kwargs) -> None:
            with django_capture_on_commit_callbacks(execute=True):
                action(actor=actor, **kwargs)
            services.settle_payments(order_id=order.pk, actor=actor)  # a repeat changes nothing
            assert_payments_never_refund_more_than_captured(order)
            assert_stored_totals_recompute(order)

        def ship(shipment: Shipment) -> None:
            act(
                services.ship_shipment,
                shipment=shipment,
                carrier="ups",
                tracking_number=f"1Z{next(tracking_numbers)}",
            )

        with django_capture_on_commit_callbacks(execute=True):
            order = services.place_order(
                data=order_input(scenario["currency"], line_inputs, scenario["shipping"]),
                actor=actor,
            )
        assert_stored_totals_recompute(order)

        for action, which, units in scenario["steps"]:
            order.refresh_from_db()
            shipments = open_shipments(order)
            if action == "ship" and shipments:
                ship(shipments[which % len(shipments)])
            elif action == "split" and shipments:
                shipment = shipments[which % len(shipments)]
                line_id, waiting = sorted(waiting_units(shipment).items())[0]
                act(
                    services.split_shipment,
                    order=order,
                    warehouse_code=shipment.warehouse.code,
                    lines=[(line_id, min(units, waiting))],
                )
            elif action == "cancel_units" and shipments:
                shipment = shipments[which % len(shipments)]
                line_id, waiting = sorted(waiting_units(shipment).items())[-1]
                act(
                    services.cancel_lines,
                    order=order,
                    lines=[(line_id, min(units, waiting))],
                    reason="customer asked",
                )
            elif action == "cancel_order" and order.is_unshipped:
                act(services.cancel_order, order=order, reason="customer asked")
            elif action == "discount" and order.status != Order.Status.CANCELLED:
                act(lower_the_price, order=order, which=which, sixths=units)

        order.refresh_from_db()
        if scenario["finish_by_shipping"] and order.status != Order.Status.CANCELLED:
            while shipments := open_shipments(order):
                ship(shipments[0])
        else:
            remaining = [
                (line.pk, line.quantity_unshipped)
                for line in OrderLine.objects.filter(order=order)
                if line.quantity_unshipped
            ]
            if remaining:
                act(services.cancel_lines, order=order, lines=remaining, reason="done")

        order.refresh_from_db()
        which, sixths = scenario["adjust_after"]
        if sixths and order.status != Order.Status.CANCELLED:
            act(lower_the_price, order=order, which=which, sixths=sixths)

        order.refresh_from_db()
        lines = list(OrderLine.objects.filter(order=order))
        assert all(line.quantity_unshipped == 0 for line in lines)
        owed_for_shipped = pricing.shipped_value(order, lines)
        assert owed_for_shipped == order.total
        net = sum(
            p.amount_captured - p.amount_refunded for p in Payment.objects.filter(order=order)
        )
        assert net == owed_for_shipped
        if order.total == 0:
            assert all(
                p.is_voided or p.amount_captured == p.amount_refunded
                for p in Payment.objects.filter(order=order)
            )
        transaction.set_rollback(True)
