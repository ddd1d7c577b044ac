"""seed_demo's returns: believable (reasons, outcomes, exchanges, store credit, withdrawals from
Brazil and the EU), consistent with the money and the stock, history that nobody is sent, and
built only once."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.db.models import F, Sum
from django.utils import timezone

from notifications.models import Delivery, OutboxMessage
from orders.models import Order, OrderLine, Payment
from returns.models import (
    ReturnEvent,
    ReturnLine,
    ReturnPhoto,
    ReturnRefund,
    ReturnRequest,
    ReturnStatus,
    StoreCreditEntry,
)

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def demo_settings(settings, tmp_path):
    settings.DEBUG = True
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.MEDIA_ROOT = tmp_path  # the photos of damaged items
    return settings


def seed(orders: int = 60) -> str:
    out = StringIO()
    call_command("seed_demo", orders=orders, stdout=out)
    return out.getvalue()


def snapshot() -> dict[str, int]:
    return {
        "returns": ReturnRequest.objects.count(),
        "events": ReturnEvent.objects.count(),
        "refunds": ReturnRefund.objects.count(),
        "orders": Order.objects.count(),
        "credit": StoreCreditEntry.objects.count(),
    }


def test_seed_demo_adds_returns_in_every_stage_that_keep_the_invariants(demo_settings, mailoutbox):
    output = seed()
    now = timezone.now()

    assert "refused" not in output
    returns = ReturnRequest.objects.all()
    statuses = set(returns.values_list("status", flat=True))
    assert {"requested", "approved", "in_transit", "refunded", "exchanged", "credited"} <= statuses
    assert len(statuses) >= 8
    reasons = set(ReturnLine.objects.values_list("reason", flat=True))
    assert {"size_too_small", "size_too_large"} & reasons and "other" in reasons
    assert (
        ReturnPhoto.objects.exists()
        == ReturnLine.objects.filter(reason__in=["damaged", "defective"]).exists()
    )

    # Statutory withdrawals by the customers abroad: Brazil (CDC art. 49) and the EU.
    withdrawals = returns.filter(is_withdrawal=True).select_related("order")
    countries = {r.order.shipping_address["country"] for r in withdrawals}
    assert "BR" in countries and countries & {"DE", "PT"}
    assert all(
        r.events.filter(type=ReturnEvent.Type.WITHDRAWAL_ACKNOWLEDGED).exists() for r in withdrawals
    )

    # Exchanges placed a linked replacement order; store credit is on the ledger.
    for r in returns.filter(status=ReturnStatus.EXCHANGED).select_related("exchange_order"):
        assert r.exchange_order.channel == Order.Channel.EXCHANGE
        assert r.exchange_order.original_order_id == r.order_id
    credited = returns.filter(status=ReturnStatus.CREDITED)
    assert credited.exists()
    for r in credited:
        ledger = StoreCreditEntry.objects.filter(customer_id=r.customer_id)
        assert ledger.aggregate(total=Sum("amount"))["total"] >= r.credited_amount

    # Units: what returns received is what the order lines count as returned.
    received = dict(
        ReturnLine.objects.values("order_line_id")
        .annotate(units=Sum("quantity_received"))
        .values_list("order_line_id", "units")
    )
    for line in OrderLine.objects.filter(quantity_returned__gt=0):
        assert line.quantity_returned == received.get(line.pk), line
    assert not OrderLine.objects.filter(quantity_returned__gt=F("quantity_shipped")).exists()

    # Money: a refund never exceeds what was captured; refunded returns really refunded.
    for order in Order.objects.filter(returns__refunded_amount__gt=0).distinct():
        payments = Payment.objects.filter(order=order)
        captured = payments.aggregate(total=Sum("amount_captured"))["total"]
        refunded = payments.aggregate(total=Sum("amount_refunded"))["total"]
        assert 0 < refunded <= captured, order
        assert refunded >= order.returns.aggregate(total=Sum("refunded_amount"))["total"]

    # History: in the past, in order, and sent to nobody.
    assert not returns.filter(created_at__gt=now).exists()
    assert not ReturnEvent.objects.filter(created_at__gt=now).exists()
    for r in returns.select_related("order"):
        assert r.created_at > r.order.created_at
    assert not OutboxMessage.objects.filter(dispatched_at__isnull=True).exists()
    assert not Delivery.objects.exists()
    assert mailoutbox == []

    # Where to try the portal.
    assert "Returns portal: order" in output
    assert "Statutory withdrawal (Brazil, 7 days): order" in output

    before = snapshot()
    seed()
    assert snapshot() == before
