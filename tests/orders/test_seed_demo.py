"""seed_demo: a believable store made by the real services, consistent, and built only once,
with the support cases its customers opened (history: nothing is sent)."""

from datetime import timedelta
from io import StringIO

import pytest
from django.contrib.auth import authenticate
from django.contrib.auth.models import User
from django.core.management import call_command
from django.db.models import Count, Sum
from django.utils import timezone

from notifications.models import Delivery, OutboxMessage
from oms.models import ApiClient, hash_token
from orders.models import (
    Allocation,
    Customer,
    Order,
    Product,
    Shipment,
    Stock,
    TrackingEvent,
    Variant,
    Warehouse,
)
from returns.demo import data as returns_demo
from support.models import Case, CaseEvent
from support.selectors.cases import annotate_fcr, fcr_rate

pytestmark = pytest.mark.django_db(transaction=True)

SENT = ["shipped", "in_transit", "out_for_delivery", "delivered", "exception"]


@pytest.fixture
def demo_settings(settings):
    settings.DEBUG = True  # the demo API client exists only in DEBUG
    # The documented passwords are what is tested, not the hasher's cost.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    return settings


def seed(orders: int = 60) -> str:
    out = StringIO()
    call_command("seed_demo", orders=orders, stdout=out)
    return out.getvalue()


def counts() -> dict[str, int]:
    models = [Warehouse, Product, Variant, Stock, Customer, Order, Shipment, TrackingEvent]
    counted = {model.__name__: model.objects.count() for model in models}
    counted["units"] = Stock.objects.aggregate(units=Sum("on_hand"))["units"]
    counted["users"] = User.objects.count()
    counted["api_clients"] = ApiClient.objects.count()
    counted["cases"] = Case.objects.count()
    counted["case_events"] = CaseEvent.objects.count()
    return counted


def test_seed_demo_builds_a_store_in_every_order_status_that_keeps_the_invariants(demo_settings):
    output = seed()

    assert "refused" not in output  # every planned step was accepted by the services
    assert Warehouse.objects.count() == 4
    assert Product.objects.count() >= 50
    assert Variant.objects.count() >= 150
    assert Customer.objects.count() >= 250
    assert Customer.objects.filter(locale="pt-br").exists()
    statuses = set(Order.objects.values_list("status", flat=True))
    assert len(statuses) >= 6
    assert {"delivered", "cancelled", "shipped", "on_hold", "pending_payment"} <= statuses
    # The 60 planned orders; the returns demo adds orders abroad and exchange orders of its own.
    planned = Order.objects.exclude(channel="exchange").exclude(
        email__in=[customer.email for customer in returns_demo.ABROAD]
    )
    assert planned.count() == 60

    sent = Shipment.objects.filter(status__in=SENT)
    assert sent.exists()
    assert not sent.annotate(scans=Count("tracking_events")).filter(scans=0).exists()
    allocated = dict(
        Allocation.objects.values("stock_id")
        .annotate(units=Sum("quantity"))
        .values_list("stock_id", "units")
    )
    for stock in Stock.objects.all():
        assert 0 <= stock.allocated <= stock.on_hand, stock
        assert stock.allocated == allocated.get(stock.pk, 0), stock

    for order in Order.objects.filter(status="delivered").prefetch_related("payments"):
        captured = sum(p.amount_captured - p.amount_refunded for p in order.payments.all())
        # Marketplace orders too (external gateway); refunds for returns are no longer owed.
        assert captured == order.total - order.refunded_for_returns, order
    now = timezone.now()
    assert not Order.objects.filter(created_at__gt=now).exists()
    assert not TrackingEvent.objects.filter(occurred_at__gt=now).exists()
    assert Order.objects.filter(created_at__lt=now - timedelta(days=30)).exists()
    assert not OutboxMessage.objects.filter(dispatched_at__isnull=True).exists()

    for username, group in [("admin", None), ("supervisor", "supervisor"), ("agent", "agent")]:
        user = authenticate(username=username, password=f"{username}-demo")
        assert user is not None and user.is_staff, username
        assert user.is_superuser == (username == "admin")
        if group:
            assert list(user.groups.values_list("name", flat=True)) == [group]
        assert f"{username}-demo" in output
    client = ApiClient.objects.get(name="demo-storefront")
    assert client.is_active
    assert client.token_hash == hash_token("oms_demo_storefront_token_local_only")
    assert "oms_demo_storefront_token_local_only" in output
    assert_cases_are_believable(now)


def assert_cases_are_believable(now) -> None:
    cases = Case.objects.all()
    assert 10 <= cases.count() <= 16  # about one case for every five orders
    assert cases.exclude(status="resolved").exists()
    assert cases.filter(status="resolved").count() > cases.count() / 2
    assert not cases.filter(opened_at__gt=now).exists()
    assert not CaseEvent.objects.filter(created_at__gt=now).exists()
    for case in cases.select_related("order"):
        assert case.order is None or case.order.customer_id == case.customer_id
        assert case.order is None or case.opened_at > case.order.created_at
        assert case.resolved_at is None or case.resolved_at >= case.opened_at
        assert case.events.filter(type="opened", created_at=case.opened_at).exists()
    states = set(annotate_fcr(cases).values_list("fcr", flat=True))
    assert "yes" in states
    assert fcr_rate(cases).resolved > 0
    assert not OutboxMessage.objects.filter(aggregate_type="case").exists()


def test_seed_demo_run_twice_adds_nothing_and_resets_the_demo_passwords(demo_settings):
    seed(orders=20)
    before = counts()
    agent = User.objects.get(username="agent")
    agent.set_password("changed-by-someone")
    agent.save()

    output = seed(orders=20)

    assert counts() == before
    assert authenticate(username="agent", password="agent-demo") is not None
    assert "agent-demo" in output


@pytest.mark.django_db(transaction=True)
def test_the_seeded_history_is_not_sent_to_anyone(demo_settings, mailoutbox):
    call_command("seed_demo", orders=20, stdout=StringIO())

    assert mailoutbox == []
    assert Case.objects.exists()
    assert not Delivery.objects.exists()
    assert not OutboxMessage.objects.filter(dispatched_at__isnull=True).exists()
