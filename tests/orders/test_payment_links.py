"""Payment links for assisted orders: a signed, expiring link to a public payment page where
the customer pays a pending order with a card. Paid once whatever the number of submits; a
decline leaves the order payable; forged, expired and cancelled links are refused; orders
waiting on a link outlive the abandoned-order sweep until the link expires."""

import threading
from datetime import timedelta
from unittest import mock

import pytest
from django.core import mail
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from notifications.models import OutboxMessage
from notifications.rendering import render_email
from oms.actors import Actor
from oms.exceptions import InvalidTransition
from orders.models import (
    Order,
    OrderEvent,
    Payment,
    PaymentTransaction,
    SandboxCharge,
    Stock,
)
from orders.services import (
    CustomerInput,
    cancel_abandoned_orders,
    cancel_order,
    payment_links,
    place_order,
)
from tests.orders.builders import order_input, split_catalog

pytestmark = pytest.mark.django_db

REP = Actor.system("rep")
GOOD_CARD = "4242 4242 4242 4242"
DECLINED_CARD = "4000 0000 0000 0002"


def card(number: str = GOOD_CARD, **overrides) -> dict:
    return {"number": number, "expiry": "12/39", "cvc": "123", "name": "Ana Souza"} | overrides


def awaiting_payment(quantity: int = 2, **overrides) -> Order:
    """A pending order a rep placed (TEE-M x `quantity` at $25) with its link sent."""
    split_catalog()
    order = place_order(
        data=order_input([("TEE-M", quantity)], channel="csr", payment=None, **overrides),
        actor=REP,
        await_payment=True,
    )
    payment_links.send_payment_link(order=order, actor=REP)
    return order


def pay_url(order: Order) -> str:
    return reverse("pay-order", args=[payment_links.payment_token(order.number)])


def allocated() -> int:
    return sum(Stock.objects.values_list("allocated", flat=True))


# --- Tokens and the email --------------------------------------------------------------------


def test_a_token_names_its_order_and_forged_or_expired_ones_name_none(settings):
    token = payment_links.payment_token("100123")
    assert payment_links.order_number_from_payment_token(token) == "100123"
    assert payment_links.order_number_from_payment_token(token[:-2] + "xx") is None
    assert payment_links.order_number_from_payment_token("100123") is None
    # A tracking link is not a payment link: each has its own salt.
    from orders import links

    assert payment_links.order_number_from_payment_token(links.tracking_token("100123")) is None
    settings.OMS_PAYMENT_LINK_VALID_FOR = timedelta(hours=48)
    later = timezone.now().timestamp() + 48 * 3600 + 5
    with mock.patch("time.time", return_value=later):
        assert payment_links.order_number_from_payment_token(token) is None
    assert payment_links.payment_url("100123").startswith(settings.OMS_PUBLIC_URL + "/pay/")


def test_the_payment_request_email_carries_the_link_lines_total_and_expiry(
    mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        order = awaiting_payment()
    message = OutboxMessage.objects.get(event_type="order.payment_requested")
    event = message.payload["event"]
    assert event["valid_for_hours"] == 48 and event["actor"] == "rep"
    ((line),) = event["lines"]
    assert (line["sku"], line["quantity"], line["amount"]) == ("TEE-M", 2, "50.00")
    rendered = render_email(message)
    assert event["payment_url"] in rendered.text and event["payment_url"] in rendered.html
    assert "55.00" in rendered.text  # 2 x 25.00 + 5.00 shipping
    assert "48 hours" in rendered.text
    assert order.number in rendered.subject
    (sent,) = [m for m in mail.outbox if m.subject == rendered.subject]
    assert sent.to == [order.email]


def test_the_documented_example_has_the_shape_of_the_emitted_payload():
    from notifications.management.commands.events_doc import EXAMPLES
    from tests.notifications.test_events_doc import paths

    awaiting_payment()
    message = OutboxMessage.objects.get(event_type="order.payment_requested")
    assert paths(EXAMPLES["order.payment_requested"]) == paths(message.payload)


def test_a_link_is_only_sent_for_an_order_waiting_for_its_payment():
    split_catalog()
    paid = place_order(data=order_input([("TEE-M", 1)], channel="csr"), actor=REP)
    with pytest.raises(InvalidTransition):
        payment_links.send_payment_link(order=paid, actor=REP)
    assert not OrderEvent.objects.filter(type="payment_link_sent").exists()
    assert not OutboxMessage.objects.filter(event_type="order.payment_requested").exists()


# --- The payment page ------------------------------------------------------------------------


def test_the_page_shows_the_order_and_a_test_mode_hint_in_the_orders_language(client):
    order = awaiting_payment(
        customer=CustomerInput(email="joao@example.com", name="João", locale="pt-br")
    )
    response = client.get(pay_url(order))
    page = response.content.decode()
    assert response.status_code == 200
    assert order.number in page and "TEE-M" in page
    assert '<html lang="pt-br">' in page
    assert "4242 4242 4242 4242" in page  # test mode: the sandbox gateway
    assert (
        response["Cache-Control"].startswith("max-age=0") or "no-cache" in response["Cache-Control"]
    )


def test_paying_with_a_good_card_confirms_the_order_once(client):
    order = awaiting_payment()
    response = client.post(pay_url(order), card())
    done = response["Location"]
    assert response.status_code == 302 and done.endswith("/done/")
    assert payment_links.order_number_from_payment_token(done.split("/")[2]) == order.number
    order.refresh_from_db()
    assert order.status == Order.Status.CONFIRMED
    page = client.get(done).content.decode()
    assert "Payment received — order confirmed" in page
    again = client.post(pay_url(order), card())
    assert again.status_code == 200 and "already paid" in again.content.decode()
    assert SandboxCharge.objects.count() == 1
    assert PaymentTransaction.objects.filter(status="succeeded", kind="authorize").count() == 1
    assert OrderEvent.objects.filter(order=order, type="confirmed").count() == 1
    payment = Payment.objects.get(order=order)
    assert payment.amount_authorized == order.total
    events = OrderEvent.objects.filter(order=order, type="payment_authorized")
    assert events.get().actor_kind == "customer"


def test_the_card_number_is_never_stored_or_shown_again(client):
    order = awaiting_payment()
    page = client.post(pay_url(order), card(DECLINED_CARD)).content.decode()
    assert "4000 0000 0000 0002" not in page and "4000000000000002" not in page
    client.post(pay_url(order), card())
    assert SandboxCharge.objects.get().card_last4 == "4242"
    stored = " ".join(
        str(values)
        for model in (Payment, PaymentTransaction, OrderEvent, OutboxMessage)
        for values in model.objects.values()
    )
    assert "4242424242424242" not in stored and "4000000000000002" not in stored


def test_a_decline_shows_why_and_leaves_the_order_payable_with_another_card(client):
    order = awaiting_payment()
    held = allocated()
    response = client.post(pay_url(order), card(DECLINED_CARD))
    assert response.status_code == 402
    assert "Your card was declined." in response.content.decode()
    order.refresh_from_db()
    assert order.status == Order.Status.PENDING_PAYMENT and allocated() == held
    response = client.post(pay_url(order), card())
    order.refresh_from_db()
    assert response.status_code == 302 and order.status == Order.Status.CONFIRMED
    ledger = PaymentTransaction.objects.filter(payment__order=order, kind="authorize")
    assert sorted(ledger.values_list("status", flat=True)) == ["failed", "succeeded"]
    assert Payment.objects.get(order=order, status="authorized").amount_authorized == order.total


def test_a_malformed_card_is_a_form_error_and_reaches_no_gateway(client):
    order = awaiting_payment()
    response = client.post(pay_url(order), card("4242 4242 4242 4241", expiry="13/20", cvc="1"))
    page = response.content.decode()
    assert response.status_code == 400
    assert "Enter a valid card number." in page and "MM/YY" in page and "3 or 4 digits" in page
    assert not PaymentTransaction.objects.exists()


@pytest.mark.parametrize(
    "token", ["forged", "100001:1vQpXk:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"]
)
def test_a_forged_link_is_refused(client, token):
    awaiting_payment()
    for response in (client.get(f"/pay/{token}/"), client.post(f"/pay/{token}/", card())):
        assert response.status_code == 404
        assert "not valid or has expired" in response.content.decode()
    assert not PaymentTransaction.objects.exists()


def test_an_expired_link_is_refused_and_charges_nothing(client):
    order = awaiting_payment()
    url = pay_url(order)
    later = timezone.now().timestamp() + 49 * 3600
    with mock.patch("time.time", return_value=later):
        response = client.post(url, card())
    assert response.status_code == 404 and "has expired" in response.content.decode()
    order.refresh_from_db()
    assert order.status == Order.Status.PENDING_PAYMENT
    assert not PaymentTransaction.objects.exists()


def test_a_cancelled_order_cannot_be_paid(client):
    order = awaiting_payment()
    cancel_order(order=order, actor=REP, reason="customer changed their mind")
    response = client.post(pay_url(order), card())
    assert response.status_code == 410
    assert "This order was cancelled" in response.content.decode()
    assert not SandboxCharge.objects.exists()


def test_the_form_needs_its_csrf_token(client):
    order = awaiting_payment()
    strict = Client(enforce_csrf_checks=True)
    assert strict.post(pay_url(order), card()).status_code == 403
    order.refresh_from_db()
    assert order.status == Order.Status.PENDING_PAYMENT


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_submits_of_the_same_link_at_once_authorize_once():
    order = awaiting_payment()
    url = pay_url(order)
    barrier = threading.Barrier(2, timeout=30)
    results: list = [None, None]

    def submit(index: int, number: str) -> None:
        try:
            browser = Client()
            barrier.wait()
            results[index] = browser.post(url, card(number)).status_code
        finally:
            connection.close()

    threads = [
        threading.Thread(target=submit, args=(0, GOOD_CARD)),
        threading.Thread(target=submit, args=(1, "5555 5555 5555 4444")),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    order.refresh_from_db()
    assert order.status == Order.Status.CONFIRMED
    assert sorted(results) == [302, 302]
    assert SandboxCharge.objects.count() == 1
    assert PaymentTransaction.objects.filter(kind="authorize", status="succeeded").count() == 1
    assert Payment.objects.filter(order=order).count() == 1
    assert OrderEvent.objects.filter(order=order, type="confirmed").count() == 1


# --- The abandoned-order sweep ---------------------------------------------------------------


def test_orders_waiting_on_a_link_outlive_the_abandoned_sweep_until_it_expires(settings):
    settings.OMS_PAYMENT_LINK_VALID_FOR = timedelta(hours=48)
    waiting = awaiting_payment(quantity=1)
    stuck = place_order(
        data=order_input([("TEE-M", 1)], payment=None), actor=REP, await_payment=True
    )
    an_hour_later = timezone.now() + timedelta(hours=1)
    with mock.patch("django.utils.timezone.now", return_value=an_hour_later):
        assert cancel_abandoned_orders(older_than=timedelta(minutes=15)) == 1
    stuck.refresh_from_db()
    waiting.refresh_from_db()
    assert stuck.status == Order.Status.CANCELLED
    assert waiting.status == Order.Status.PENDING_PAYMENT

    two_days_later = timezone.now() + timedelta(hours=48, minutes=1)
    with mock.patch("django.utils.timezone.now", return_value=two_days_later):
        assert cancel_abandoned_orders(older_than=timedelta(minutes=15)) == 1
    waiting.refresh_from_db()
    assert waiting.status == Order.Status.CANCELLED
    assert waiting.events.get(type="cancelled").reason == "payment link expired"
    assert allocated() == 0
