"""Products bought together: the co-occurrence model rebuilt from a small hand-built order
history, the suggestions for an order (in stock, active, nothing already bought), and the
delivered email that carries them unless the customer turned recommendations off."""

import io
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from feedback.models import ProductPair
from feedback.services.recommendations import rebuild_product_pairs, recommend_for_order
from notifications.models import OutboxMessage
from notifications.rendering import render_email
from notifications.services.preferences import set_preference
from orders import services
from orders.models import Order, Stock
from tests.factories import StockFactory, VariantFactory, WarehouseFactory
from tests.feedback.concurrency import race
from tests.orders.builders import ACTOR, deliver, order_input, ship

pytestmark = pytest.mark.django_db

NAMES = ["tent", "stakes", "lantern", "mug", "stove", "rare"]


@pytest.fixture
def shop() -> dict:
    """One product per name, each with a variant (SKU = the name) in stock at MAIN."""
    warehouse = WarehouseFactory(code="MAIN")
    catalogue = {}
    for name in NAMES:
        variant = VariantFactory(sku=name.upper(), product__name=name.title(), product__slug=name)
        StockFactory(variant=variant, warehouse=warehouse, on_hand=100)
        catalogue[name] = variant.product
    return catalogue


def buy(email: str, *names: str) -> Order:
    customer = services.CustomerInput(email=email, name="Ana Souza")
    data = order_input([(name.upper(), 1) for name in names], customer=customer)
    return services.place_order(data=data, actor=ACTOR)


def history() -> None:
    """Tents go with stakes (3 orders) and lanterns (2); mugs with stoves (2); the rare item
    was bought with a tent once (chance); a cancelled order pairing tents and mugs counts for
    nothing."""
    buy("c1@example.com", "tent", "stakes")
    buy("c2@example.com", "tent", "stakes", "lantern")
    buy("c3@example.com", "tent", "lantern")
    buy("c4@example.com", "tent", "stakes")
    buy("c5@example.com", "mug", "stove")
    buy("c6@example.com", "mug", "stove")
    buy("c7@example.com", "tent", "rare")
    for _ in range(3):
        services.cancel_order(
            order=buy("c8@example.com", "tent", "mug"), actor=ACTOR, reason="changed mind"
        )


def names(products) -> list[str]:
    return [product.name for product in products]


def test_rebuild_scores_pairs_by_lift_over_the_history_ignoring_chance_and_cancellations(shop):
    history()
    written = rebuild_product_pairs()
    pairs = {
        (pair.product.name, pair.other.name): pair
        for pair in ProductPair.objects.select_related("product", "other")
    }
    # Both directions of every pair seen in at least two orders; nothing for the rare item or
    # stakes with lanterns (one order each), nor for tents with mugs (cancelled orders only).
    assert set(pairs) == {
        ("Tent", "Stakes"),
        ("Stakes", "Tent"),
        ("Tent", "Lantern"),
        ("Lantern", "Tent"),
        ("Mug", "Stove"),
        ("Stove", "Mug"),
    }
    assert written == 6
    # 7 orders; tents in 5, stakes in 3, together 3: lift = 3 * 7 / (5 * 3) = 1.4.
    assert pairs[("Tent", "Stakes")].orders_together == 3
    assert pairs[("Tent", "Stakes")].score == pytest.approx(1.4)
    # Mugs and stoves only ever go together: lift = 2 * 7 / (2 * 2) = 3.5.
    assert pairs[("Mug", "Stove")].score == pytest.approx(3.5)


def test_rebuild_replaces_the_old_pairs_and_leaves_out_orders_older_than_a_year(shop):
    history()
    assert rebuild_product_pairs() == 6
    assert rebuild_product_pairs() == 6  # a second run writes the same, no duplicates
    assert ProductPair.objects.count() == 6
    Order.objects.filter(email__in=["c5@example.com", "c6@example.com"]).update(
        created_at=timezone.now() - timedelta(days=400)
    )
    rebuild_product_pairs()
    assert not ProductPair.objects.filter(product__name="Mug").exists()
    assert ProductPair.objects.count() == 4


def test_recommends_best_pairs_of_what_was_ordered(shop):
    history()
    order = buy("new@example.com", "tent")
    rebuild_product_pairs()
    # Stakes and lanterns have the same lift; stakes were bought with tents more often.
    assert names(recommend_for_order(order, limit=3)) == ["Stakes", "Lantern"]
    assert names(recommend_for_order(order, limit=1)) == ["Stakes"]
    assert recommend_for_order(order, limit=0) == []


def test_recommendations_exclude_everything_the_customer_ever_bought(shop):
    history()
    buy("new@example.com", "stakes")  # an earlier order
    order = buy("new@example.com", "tent")
    rebuild_product_pairs()
    assert names(recommend_for_order(order)) == ["Lantern"]


def test_recommendations_are_in_stock_and_active_only(shop):
    history()
    order = buy("new@example.com", "tent")
    rebuild_product_pairs()
    # Every lantern on hand is allocated to orders: nothing to sell.
    for stock in Stock.objects.filter(variant__product=shop["lantern"]):
        Stock.objects.filter(pk=stock.pk).update(allocated=stock.on_hand)
    assert names(recommend_for_order(order)) == ["Stakes"]
    # Stakes withdrawn from sale.
    shop["stakes"].is_active = False
    shop["stakes"].save()
    assert recommend_for_order(order) == []
    # A lantern arrives in another warehouse: back in the list.
    other = WarehouseFactory(code="B")
    StockFactory(variant=shop["lantern"].variants.get(), warehouse=other)
    assert names(recommend_for_order(order)) == ["Lantern"]
    # ... unless that warehouse is closed.
    other.is_active = False
    other.save()
    assert recommend_for_order(order) == []


def test_recommending_takes_one_query(shop, django_assert_num_queries):
    history()
    order = buy("new@example.com", "tent", "mug")
    rebuild_product_pairs()
    with django_assert_num_queries(1):
        assert names(recommend_for_order(order)) == ["Stove", "Stakes", "Lantern"]


def delivered_email(order: Order):
    (shipment,) = order.shipments.all()
    ship(shipment, f"T-{order.number}")
    deliver(shipment.__class__.objects.get(pk=shipment.pk), f"d-{order.number}")
    message = OutboxMessage.objects.get(event_type="shipment.delivered", aggregate_id=order.number)
    return render_email(message)


def test_the_delivered_email_suggests_products_bought_together(shop, settings):
    settings.OMS_STOREFRONT_URL = "https://shop.example.com"
    history()
    order = buy("new@example.com", "tent")
    rebuild_product_pairs()
    email = delivered_email(order)
    assert "Customers who bought this also bought" in email.text
    assert "Stakes: https://shop.example.com/products/stakes/" in email.text
    assert 'href="https://shop.example.com/products/lantern/"' in email.html
    assert "Also bought" not in email.subject


def test_the_delivered_email_has_no_suggestions_for_a_customer_who_turned_them_off(shop):
    history()
    order = buy("new@example.com", "tent")
    rebuild_product_pairs()
    set_preference(
        email="NEW@example.com", wants_non_essential=True, opted_out_topics=["recommendations"]
    )
    email = delivered_email(order)
    assert "Your package has arrived" in email.text  # the transactional message still goes
    assert "also bought" not in email.text and "Stakes" not in email.html


def test_the_delivered_email_reads_well_without_pairs_and_in_portuguese(shop):
    order = buy("new@example.com", "tent")
    Order.objects.filter(pk=order.pk).update(locale="pt-br")
    email = delivered_email(order)
    assert "also bought" not in email.text
    history()
    rebuild_product_pairs()
    OutboxMessage.objects.filter(event_type="shipment.delivered").delete()
    other = buy("other@example.com", "tent")
    Order.objects.filter(pk=other.pk).update(locale="pt-br")
    email = delivered_email(other)
    assert "Stakes" in email.text


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_rebuilds_wait_for_each_other_on_postgresql(shop):
    history()
    results = race(lambda _index: rebuild_product_pairs(), 3)
    assert results == [6, 6, 6]
    assert ProductPair.objects.count() == 6


def test_the_command_rebuilds_and_shows_an_orders_suggestions(shop):
    history()
    order = buy("new@example.com", "tent")
    out = io.StringIO()
    call_command("recommend", "--rebuild", "--order", order.number, stdout=out)
    assert "6 product pair(s)" in out.getvalue()
    assert "Stakes (lift 1.33)" in out.getvalue()
    assert "2 suggestion(s)" in out.getvalue()
    with pytest.raises(CommandError, match="Say what to do"):
        call_command("recommend")
    with pytest.raises(CommandError, match="No order"):
        call_command("recommend", "--order", "nope")
