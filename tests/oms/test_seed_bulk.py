"""seed_bulk: a small store generated once for the module, read by every test but the last (which
runs the command again, refused, then replacing the store)."""

from decimal import Decimal
from io import StringIO

import pytest
from django.apps import apps
from django.core.management import CommandError, call_command
from django.db import connection
from django.urls import reverse

from oms.bulk.steps import TABLES
from orders.models import Customer, Order, OrderEvent, Shipment
from orders.services.placement import next_order_number
from support.selectors.search import search
from tests.support.money_actions import staff

pytestmark = pytest.mark.postgres

ORDERS = 3000


def scalar(sql: str, params=None):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()[0]


def empty_the_store() -> None:
    """Delete the store's rows, children first, without TRUNCATE ... CASCADE: that would also
    empty tables that refer to the store's (a migration's seeded rows, which later tests on
    this worker read)."""
    with connection.cursor() as cursor:
        for table in TABLES:
            cursor.execute(f"DELETE FROM {table}")


@pytest.fixture(scope="module")
def bulk_store(django_db_setup, django_db_blocker):
    """ORDERS orders over 60 days, generated outside any test transaction (as the command
    runs) and emptied at the end of the module."""
    if connection.vendor != "postgresql":
        pytest.skip("seed_bulk needs PostgreSQL")
    with django_db_blocker.unblock():
        out = StringIO()
        call_command("seed_bulk", orders=ORDERS, days=60, stdout=out)
        yield out.getvalue()
        empty_the_store()
        connection.close()


@pytest.mark.django_db
def test_seed_bulk_reports_what_it_wrote(bulk_store):
    assert f"Generating {ORDERS:,} orders over 60 days" in bulk_store
    assert f"orders_order {ORDERS:>12,}".replace(" ", "") in bulk_store.replace(" ", "")
    for step in ("customers", "plan", "timeline", "indexes", "analyze"):
        assert f"  {step} " in bulk_store
    assert "orders/s" in bulk_store


@pytest.mark.django_db
def test_seeded_store_has_believable_proportions(bulk_store):
    orders = Order.objects.count()
    assert orders == ORDERS
    assert Customer.objects.count() == ORDERS // 3
    shares = {
        channel: Order.objects.filter(channel=channel).count() / orders
        for channel in Order.Channel.values
    }
    assert 0.75 < shares["web"] < 0.85 and 0.06 < shares["marketplace"] < 0.14
    cancelled = Order.objects.filter(status=Order.Status.CANCELLED).count() / orders
    assert 0.005 < cancelled < 0.04
    delivered = Order.objects.filter(status=Order.Status.DELIVERED).count() / orders
    assert delivered > 0.8  # orders of the last days are still in flight
    lines_per_order = scalar("SELECT count(*) FROM orders_orderline") / orders
    assert 1.4 < lines_per_order < 1.8
    # Every purchase is paid; every order that was not cancelled has a parcel; a shipped
    # parcel has carrier scans; every order has a timeline.
    assert (
        scalar(
            "SELECT count(*) FROM orders_order WHERE total > 0 AND id NOT IN "
            "(SELECT order_id FROM orders_payment)"
        )
        == 0
    )
    assert (
        scalar(
            "SELECT count(*) FROM orders_order o WHERE status <> 'cancelled' AND NOT "
            "EXISTS (SELECT 1 FROM orders_shipment s WHERE s.order_id = o.id)"
        )
        == 0
    )
    assert (
        scalar(
            "SELECT count(*) FROM orders_shipment s WHERE shipped_at IS NOT NULL AND "
            "NOT EXISTS (SELECT 1 FROM orders_trackingevent t "
            "WHERE t.shipment_id = s.id)"
        )
        == 0
    )
    events_per_order = OrderEvent.objects.count() / orders
    assert 5 < events_per_order < 9
    assert (
        scalar("SELECT count(DISTINCT order_id) FROM orders_orderevent WHERE type = 'placed'")
        == orders
    )
    cases = scalar("SELECT count(*) FROM support_case") / orders
    assert 0.04 < cases < 0.14
    returns = scalar("SELECT count(*) FROM returns_returnrequest") / delivered / orders
    assert 0.02 < returns < 0.10
    assert Shipment.objects.filter(delayed_at__isnull=False).exists()
    assert (
        Order.objects.filter(needs_attention=True).count()
        <= Shipment.objects.filter(delayed_at__isnull=False).count()
    )


@pytest.mark.django_db
def test_seeded_order_totals_are_their_lines_and_payments_follow_them(bulk_store):
    assert (
        scalar(
            """
        SELECT count(*) FROM orders_order o
        JOIN (SELECT order_id, sum(quantity * unit_price - discount) AS lines
              FROM orders_orderline GROUP BY order_id) l ON l.order_id = o.id
        WHERE o.subtotal <> l.lines OR o.total <> o.subtotal - o.discount_total + o.shipping_total
           OR o.shipping_total <> o.shipping_price
        """
        )
        == 0
    )
    assert (
        scalar(
            """
        SELECT count(*) FROM orders_payment p JOIN orders_order o ON o.id = p.order_id
        WHERE p.amount_authorized <> o.total
           OR p.amount_captured <> CASE WHEN o.status IN ('shipped', 'delivered')
                                        THEN o.total ELSE 0 END
           OR p.amount_refunded <> o.refunded_for_returns
           OR p.amount_refunded <> coalesce((SELECT sum(amount) FROM orders_paymenttransaction t
                                             WHERE t.payment_id = p.id AND t.kind = 'refund'), 0)
           OR p.is_voided <> (o.status = 'cancelled')
        """
        )
        == 0
    )
    # Lines: what was shipped is in parcels, exactly once; cancelled orders cancel every unit.
    assert (
        scalar(
            """
        SELECT count(*) FROM orders_orderline l JOIN orders_order o ON o.id = l.order_id
        WHERE l.quantity_shipped <> CASE WHEN o.status IN ('shipped', 'delivered')
                                         THEN l.quantity ELSE 0 END
           OR l.quantity_cancelled <> CASE WHEN o.status = 'cancelled' THEN l.quantity ELSE 0 END
           OR (o.status <> 'cancelled' AND (SELECT count(*) FROM orders_shipmentline sl
                                            WHERE sl.line_id = l.id) <> 1)
        """
        )
        == 0
    )
    assert scalar("SELECT sum(quantity_returned) FROM orders_orderline") == scalar(
        "SELECT count(*) FROM returns_returnline"
    )


@pytest.mark.django_db
def test_seeded_stock_holds_what_unshipped_orders_allocated(bulk_store):
    assert (
        scalar(
            """
        SELECT count(*) FROM orders_stock s
        WHERE s.allocated <> coalesce((SELECT sum(quantity) FROM orders_allocation a
                                       WHERE a.stock_id = s.id), 0)
           OR s.allocated > s.on_hand OR s.allocated < 0
        """
        )
        == 0
    )
    assert (
        scalar(
            "SELECT count(*) FROM orders_allocation a JOIN orders_order o ON o.id = a.order_id "
            "WHERE o.status <> 'processing'"
        )
        == 0
    )
    assert scalar("SELECT count(*) FROM orders_allocation") > 0


@pytest.mark.django_db
def test_seeded_rows_refer_only_to_rows_that_exist(bulk_store):
    """The load runs without foreign-key triggers: check every foreign key of every table it
    writes, as PostgreSQL would have."""
    broken = {}
    for model in apps.get_models():
        if model._meta.db_table not in TABLES:
            continue
        for field in model._meta.concrete_fields:
            if not field.is_relation:
                continue
            target = field.related_model._meta
            count = scalar(
                f'SELECT count(*) FROM "{model._meta.db_table}" x '
                f'WHERE x."{field.column}" IS NOT NULL AND NOT EXISTS ('
                f'SELECT 1 FROM "{target.db_table}" y '
                f'WHERE y."{target.get_field(field.target_field.name).column}" = '
                f'x."{field.column}")'
            )
            if count:
                broken[f"{model._meta.db_table}.{field.column}"] = count
    assert broken == {}


@pytest.mark.django_db
def test_new_rows_continue_after_the_seeded_ones(bulk_store):
    assert next_order_number() == str(100000 + ORDERS + 1)
    customer = Customer.objects.create(name="After Seed", email="after.seed@example.com")
    assert customer.pk == ORDERS // 3 + 1
    indexes = scalar("SELECT count(*) FROM pg_indexes WHERE tablename = ANY(%s)", [TABLES])
    assert indexes > 60  # dropped for the load, made again at its end


@pytest.mark.django_db
def test_console_and_api_open_a_seeded_order(bulk_store, client, api):
    order = (
        Order.objects.filter(status=Order.Status.DELIVERED, shipments__tracking_number__gt="")
        .select_related("customer")
        .order_by("id")
        .first()
    )
    response = api.get(reverse("api-order", kwargs={"number": order.number}))
    assert response.status_code == 200
    body = response.json()
    assert body["number"] == order.number and Decimal(body["totals"]["total"]) == order.total
    assert body["lines"] and body["payments"] and body["shipments"] and body["timeline"]
    assert body["shipments"][0]["tracking_events"]
    listed = api.get(reverse("api-orders"), {"status": "delivered"})
    assert listed.status_code == 200

    client.force_login(staff("agent"))
    page = client.get(reverse("console:order-detail", kwargs={"number": order.number}))
    assert page.status_code == 200 and order.customer.name in page.content.decode()


@pytest.mark.django_db
def test_console_search_finds_seeded_orders_by_number_email_name_and_tracking(bulk_store):
    order = (
        Order.objects.filter(status=Order.Status.DELIVERED, shipments__tracking_number__gt="")
        .select_related("customer")
        .order_by("-id")
        .first()
    )
    tracking = order.shipments.first().tracking_number
    assert search(order.number).exact_order == order
    assert search(tracking).exact_order == order
    assert order in search(order.email).orders
    assert order.customer in search(order.customer.name).customers


@pytest.mark.django_db(transaction=True)
def test_seed_bulk_refuses_a_store_that_exists_and_replaces_it_when_asked(bulk_store):
    """Last in the module: its database flush ends the module's store."""
    before = Order.objects.count()
    with pytest.raises(CommandError, match="already holds a store"):
        call_command("seed_bulk", orders=10, stdout=StringIO())
    assert Order.objects.count() == before
    assert not OrderEvent.objects.filter(order_id__gt=before).exists()

    call_command("seed_bulk", orders=200, days=30, replace=True, stdout=StringIO())
    assert Order.objects.count() == 200
    assert Customer.objects.count() == 200 // 3
    assert next_order_number() == str(100000 + 200 + 1)
