"""Customer email: the right messages, in the customer's language, with text and HTML parts, a
Message-ID per delivery, the tracking link, opt-outs honoured for non-essential messages only,
every message listed on the order; and the preference centre the emails link to."""

import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from urllib.parse import urlsplit

import pytest
from django.core import mail
from django.db import transaction
from django.test import Client
from django.utils import timezone, translation

from notifications.catalogue import EVENTS
from notifications.management.commands.events_doc import EXAMPLES
from notifications.models import ContactPreference, Delivery, OutboxMessage
from notifications.preferences_links import (
    email_from_token,
    preference_token,
    preference_url,
)
from notifications.rendering import render_email
from notifications.services.preferences import set_preference
from notifications.templatetags.notification_format import MINOR_UNITS, money
from orders import money as order_money
from orders import services
from orders.links import order_number_from_token, tracking_token
from orders.models import Order, OrderEvent, Shipment
from orders.services import events
from tests.factories import ADDRESS, order_body
from tests.orders.builders import ACTOR

pytestmark = pytest.mark.django_db(transaction=True)

# The greeting uses the shipping address's name, as the order payload does.
JOAO = {
    "customer": {"email": "joao@example.com.br", "name": "João Silva", "locale": "pt-br"},
    "shipping_address": {**ADDRESS, "name": "João Silva"},
}
EMAIL_EVENTS = sorted(name for name, spec in EVENTS.items() if spec.email)


def place(api, idem, quantity: int = 2, **overrides) -> str:
    response = api.post(
        "/api/v1/orders/", order_body([("TEE-M", quantity)], **overrides), format="json", **idem()
    )
    assert response.status_code == 201, response.json()
    return response.json()["number"]


def ship(api, idem, number: str, tracking_number: str = "1Z999AA10123456784") -> Shipment:
    shipment = Shipment.objects.filter(order__number=number).order_by("pk").first()
    response = api.post(
        f"/api/v1/shipments/{shipment.number}/ship/",
        {"carrier": "ups", "tracking_number": tracking_number},
        format="json",
        **idem(),
    )
    assert response.status_code == 200, response.json()
    shipment.refresh_from_db()
    return shipment


def scan(shipment: Shipment, status: str, event_id: str, **extra) -> None:
    services.record_tracking_event(
        carrier=shipment.carrier,
        tracking_number=shipment.tracking_number,
        carrier_event_id=event_id,
        status=status,
        occurred_at=extra.pop("occurred_at", datetime(2026, 11, 20, 12, tzinfo=UTC)),
        actor=ACTOR,
        **extra,
    )


def sent_to(address: str) -> list:
    return [message for message in mail.outbox if message.to == [address]]


def html_of(message) -> str:
    (html, mimetype), *_ = message.alternatives
    assert mimetype == "text/html"
    return html


def tracked_order(part: str) -> str | None:
    """The order the email's tracking link opens."""
    match = re.search(r"http://[^/\s]+/track/([^/\s\"]+)/", part)
    return order_number_from_token(match.group(1)) if match else None


def email_deliveries(number: str, event_type: str) -> list[Delivery]:
    return list(
        Delivery.objects.filter(
            aggregate_id=number, event_type=event_type, channel=Delivery.Channel.EMAIL
        )
    )


def notifications_on_order(api, number: str) -> list[dict]:
    response = api.get(f"/api/v1/orders/{number}/")
    assert response.status_code == 200
    return response.json()["notifications"]


def test_placing_an_order_sends_one_confirmation_email_with_text_html_and_message_id(
    api, idem, stocked_variant
):
    number = place(api, idem)

    (message,) = mail.outbox  # order.created and shipment.created do not email the customer
    assert message.to == ["ana@example.com"]
    assert message.subject == f"Your order {number} is confirmed"
    assert "Hi Ana Souza," in message.body
    assert "Thank you for your order!" in message.body
    assert "Order total: USD 55.00" in message.body  # 2 x 25.00 + 5.00 shipping
    html = html_of(message)
    assert '<html lang="en">' in html
    assert f">{number}</td>" in html
    assert "USD 55.00" in html
    assert tracked_order(message.body) == tracked_order(html) == number
    (delivery,) = email_deliveries(number, "order.confirmed")
    assert message.extra_headers["Message-ID"] == f"<delivery-{delivery.pk}@oms.local>"
    assert delivery.status == Delivery.Status.SENT
    assert delivery.detail == message.subject


def test_a_brazilian_customer_is_written_to_in_portuguese(api, idem, stocked_variant):
    number = place(
        api,
        idem,
        **JOAO,
    )

    (message,) = sent_to("joao@example.com.br")
    assert message.subject == f"Seu pedido {number} foi confirmado"
    assert "Olá, João Silva," in message.body
    assert "Obrigado pelo seu pedido!" in message.body
    assert "Total do pedido: USD 55,00" in message.body  # Brazilian decimal comma
    assert "Order total" not in message.body
    html = html_of(message)
    assert '<html lang="pt-br">' in html
    assert "Ver meu pedido" in html
    assert "Gerenciar suas preferências de e-mail" in html


def test_shipping_email_names_carrier_tracking_number_estimated_delivery_and_link(
    api, idem, stocked_variant
):
    number = place(api, idem)
    shipment = ship(api, idem, number)

    message = sent_to("ana@example.com")[-1]
    assert message.subject == f"Your order {number} has shipped"
    estimated = shipment.estimated_delivery_date
    with translation.override("en"):
        from django.utils.formats import date_format

        estimated_text = date_format(estimated, "DATE_FORMAT")
    for part in (message.body, html_of(message)):
        assert "UPS" in part
        assert "1Z999AA10123456784" in part
        assert estimated_text in part
        assert tracked_order(part) == number
        assert shipment.number in part
    assert "Track your package: http" in message.body


def test_portuguese_shipping_and_delivery_emails(api, idem, stocked_variant):
    number = place(
        api,
        idem,
        **JOAO,
    )
    shipment = ship(api, idem, number)
    scan(shipment, "out_for_delivery", "ofd-1")
    scan(shipment, "delivered", "dlv-1", location="Portaria")

    subjects = [message.subject for message in sent_to("joao@example.com.br")]
    assert subjects == [
        f"Seu pedido {number} foi confirmado",
        f"Seu pedido {number} foi enviado",
        f"Seu pedido {number} saiu para entrega hoje",
        f"Seu pacote do pedido {number} foi entregue",
    ]
    delivered = sent_to("joao@example.com.br")[-1]
    assert "Entregue em: 20 de Novembro de 2026" in delivered.body
    assert "Local: Portaria" in delivered.body


def test_opted_out_customer_gets_no_out_for_delivery_email_but_does_get_delivered(
    api, idem, stocked_variant
):
    set_preference(email="ANA@example.com", wants_non_essential=False)
    number = place(api, idem)
    shipment = ship(api, idem, number)
    scan(shipment, "out_for_delivery", "ofd-1")
    scan(shipment, "delivered", "dlv-1")

    subjects = [message.subject for message in sent_to("ana@example.com")]
    assert subjects == [
        f"Your order {number} is confirmed",
        f"Your order {number} has shipped",
        f"Your package from order {number} was delivered",
    ]
    (skipped,) = email_deliveries(number, "shipment.out_for_delivery")
    assert (skipped.status, skipped.last_error, skipped.attempts) == ("skipped", "opted out", 0)
    listed = notifications_on_order(api, number)
    assert {
        "event_type": "shipment.out_for_delivery",
        "channel": "email",
        "status": "skipped",
    }.items() <= next(n for n in listed if n["event_type"] == "shipment.out_for_delivery").items()


def test_every_sent_email_is_listed_on_the_order_as_sent(api, idem, stocked_variant):
    number = place(api, idem)
    shipment = ship(api, idem, number)
    scan(shipment, "out_for_delivery", "ofd-1")
    scan(shipment, "delivered", "dlv-1")

    sent = sent_to("ana@example.com")
    assert len(sent) == 4
    listed = [n for n in notifications_on_order(api, number) if n["channel"] == "email"]
    assert sorted(n["detail"] for n in listed) == sorted(m.subject for m in sent)
    assert {n["status"] for n in listed} == {"sent"}
    assert all(n["sent_at"] and n["target"] == "ana@example.com" for n in listed)
    message_ids = {m.extra_headers["Message-ID"] for m in sent}
    assert len(message_ids) == 4  # one per delivery
    pks = Delivery.objects.filter(aggregate_id=number, channel="email").values_list("pk", flat=True)
    assert message_ids == {f"<delivery-{pk}@oms.local>" for pk in pks}


def test_cancellation_email_gives_the_reason_and_voiding_sends_nothing_more(
    api, idem, stocked_variant
):
    number = place(api, idem)
    response = api.post(
        f"/api/v1/orders/{number}/cancel/",
        {"reason": "Customer changed their mind"},
        format="json",
        **idem(),
    )
    assert response.status_code == 200, response.json()

    subjects = [message.subject for message in sent_to("ana@example.com")]
    assert subjects == [
        f"Your order {number} is confirmed",
        f"Your order {number} has been cancelled",
    ]  # payment.voided: nothing was charged, nothing to tell
    cancelled = sent_to("ana@example.com")[-1]
    assert "Reason: Customer changed their mind" in cancelled.body
    assert "Customer changed their mind" in html_of(cancelled)


def test_refund_email_shows_the_amount_with_its_currency(api, idem, stocked_variant):
    number = place(
        api,
        idem,
        **JOAO,
    )
    order = Order.objects.get(number=number)
    with transaction.atomic():
        events.record(
            order,
            OrderEvent.Type.PAYMENT_REFUNDED,
            actor=ACTOR,
            reason="devolução",
            data={"amount": Decimal("1234.500"), "method": "Visa •••• 4242"},
            notify="payment.refunded",
        )

    refund = sent_to("joao@example.com.br")[-1]
    assert refund.subject == f"Seu reembolso de USD 1.234,50 do pedido {number}"
    assert "Valor reembolsado: USD 1.234,50" in refund.body
    assert "Visa •••• 4242" in html_of(refund)


def test_delayed_parcel_email_says_why(api, idem, stocked_variant):
    number = place(api, idem)
    ship(api, idem, number)
    services.detect_delays(now=timezone.now() + timedelta(days=30))

    late = sent_to("ana@example.com")[-1]
    assert late.subject == f"Your order {number} is running late"
    assert "It has not arrived by the promised date." in late.body
    assert "UPS" in late.body


def test_carrier_exception_email(api, idem, stocked_variant):
    number = place(api, idem)
    shipment = ship(api, idem, number)
    scan(shipment, "exception", "exc-1", description="Recipient not available")

    problem = sent_to("ana@example.com")[-1]
    assert problem.subject == f"A problem with the delivery of your order {number}"
    assert "Carrier's note: Recipient not available" in problem.body


def test_text_part_is_not_html_escaped_but_html_part_is(api, idem, stocked_variant):
    place(api, idem, shipping_address={**ADDRESS, "name": "Ana O'Neil <3"})

    (message,) = mail.outbox
    assert "Hi Ana O'Neil <3," in message.body
    assert "Hi Ana O&#x27;Neil &lt;3," in html_of(message)


@pytest.mark.django_db
@pytest.mark.parametrize("event_type", EMAIL_EVENTS)
def test_every_email_event_renders_in_english_and_portuguese(event_type):
    """Each email event, with its documented example payload, in both languages."""
    payload = EXAMPLES[event_type]
    rendered = {}
    for locale in ("en", "pt-br"):
        message = OutboxMessage(
            event_type=event_type,
            aggregate_type="order",
            aggregate_id=payload["order"]["number"],
            payload={**payload, "order": {**payload["order"], "locale": locale}},
        )
        rendered[locale] = email = render_email(message)
        assert email is not None, f"no templates for {event_type}"
        assert payload["order"]["number"] in email.subject
        assert "{%" not in email.text + email.html and "{{" not in email.text + email.html
        for part in (email.text, email.html):
            assert payload["order"]["number"] in part
            assert payload["order"]["tracking_url"] in part
            assert preference_url(payload["order"]["email"]) in part
        assert f'<html lang="{locale}">' in email.html
        assert "OMS Store" in email.html
    assert rendered["en"].subject != rendered["pt-br"].subject
    # Optional messages say how to stop them (the wording fits the message: delivery updates,
    # surveys); service messages say why they always arrive.
    assert ("Unsubscribe from" in rendered["en"].text) is (not EVENTS[event_type].essential)


@pytest.mark.django_db
def test_store_name_comes_from_settings_when_set(settings):
    settings.OMS_STORE_NAME = "Loja da Ana"
    payload = EXAMPLES["order.confirmed"]
    email = render_email(
        OutboxMessage(event_type="order.confirmed", aggregate_id="1", payload=payload)
    )
    assert "Loja da Ana" in email.html and "OMS Store" not in email.html
    assert "Loja da Ana" in email.text


def test_money_uses_the_currency_minor_unit_and_the_language_number_format():
    with translation.override("en"):
        assert money("30.950", "USD") == "USD 30.95"
        assert money("1234.5", "BRL") == "BRL 1,234.50"
        assert money("3095.000", "JPY") == "JPY 3,095"
        assert money("1.2345", "KWD") == "KWD 1.235"
    with translation.override("pt-br"):
        assert money("1234.500", "BRL") == "BRL 1.234,50"


def test_email_minor_units_agree_with_the_order_core():
    differing = {c: e for c, e in order_money.CURRENCY_EXPONENTS.items() if e != 2}
    assert differing == {c: e for c, e in MINOR_UNITS.items() if c in differing}
    assert set(MINOR_UNITS) <= set(differing)


# --- The preference centre -------------------------------------------------------------------


def test_preference_token_round_trips_the_lowercased_address():
    token = preference_token(" Ana@Example.com ")
    assert email_from_token(token) == "ana@example.com"
    assert preference_token("ana@example.com") == token
    assert email_from_token(token[:-2] + "xx") is None
    assert email_from_token("not-a-token") is None
    assert email_from_token(tracking_token("100001")) is None  # another salt


@pytest.mark.django_db
def test_preference_page_shows_the_address_and_what_is_always_sent(client):
    response = client.get(f"/preferences/{preference_token('ana@example.com')}/")

    assert response.status_code == 200
    html = response.content.decode()
    assert "ana@example.com" in html
    assert "Receive optional messages" in html
    assert re.search(r'name="wants_non_essential" value="on"\s+checked', html)
    assert "we always send them" in html
    assert "csrfmiddlewaretoken" in html
    assert response["Cache-Control"].startswith("max-age=0")


@pytest.mark.django_db
def test_preference_page_post_toggles_the_preference():
    client = Client(enforce_csrf_checks=True)
    url = f"/preferences/{preference_token('Ana@Example.com')}/"
    client.get(url)
    csrf = {"csrfmiddlewaretoken": client.cookies["csrftoken"].value}

    response = client.post(url, csrf)  # box unticked: no non-essential messages
    assert response.status_code == 302 and response["Location"] == f"{url}?saved=1"
    assert ContactPreference.objects.get().wants_non_essential is False
    page = client.get(response["Location"]).content.decode()
    assert "Your preferences have been saved." in page
    assert not re.search(r'value="on"\s+checked', page)

    client.post(url, {**csrf, "wants_non_essential": "on"})
    preference = ContactPreference.objects.get()  # still one row for the address
    assert (preference.email, preference.wants_non_essential) == ("ana@example.com", True)


@pytest.mark.django_db
def test_preference_page_refuses_a_post_without_csrf_token():
    client = Client(enforce_csrf_checks=True)
    response = client.post(f"/preferences/{preference_token('ana@example.com')}/", {})
    assert response.status_code == 403
    assert not ContactPreference.objects.exists()


INVALID_TOKENS = {
    "nonsense": lambda: "nonsense",
    "tampered": lambda: preference_token("ana@example.com")[:-1] + "A",
    "another salt": lambda: tracking_token("100001"),
}


@pytest.mark.django_db
@pytest.mark.parametrize("kind", list(INVALID_TOKENS))
def test_preference_page_with_an_invalid_token_is_not_found(client, kind):
    token = INVALID_TOKENS[kind]()
    assert client.get(f"/preferences/{token}/").status_code == 404
    assert client.post(f"/preferences/{token}/", {}).status_code == 404
    assert not ContactPreference.objects.exists()


@pytest.mark.django_db
def test_preference_page_speaks_the_browser_language(client):
    response = client.get(
        f"/preferences/{preference_token('ana@example.com')}/", HTTP_ACCEPT_LANGUAGE="pt-BR"
    )
    html = response.content.decode()
    assert "Preferências de e-mail" in html
    assert "Salvar preferências" in html and "Sempre enviadas" in html


def test_the_email_footer_link_opens_the_preference_page(api, idem, stocked_variant, client):
    place(api, idem)
    (message,) = mail.outbox
    url = re.search(r"Manage your email preferences: (\S+)", message.body).group(1)
    assert url.startswith("http://") and "/preferences/" in url

    response = client.get(urlsplit(url).path)
    assert response.status_code == 200
    assert "ana@example.com" in response.content.decode()


def test_a_declined_card_at_checkout_sends_no_cancellation_email_but_tells_integrators(
    api, idem, stocked_variant
):
    body = order_body([("TEE-M", 1)], payment={"gateway": "sandbox", "token": "4000000000000002"})
    response = api.post("/api/v1/orders/", body, format="json", **idem())
    assert response.status_code == 402
    number = response.json()["order_number"]

    assert mail.outbox == []  # the checkout already told the customer
    cancelled = OutboxMessage.objects.get(aggregate_id=number, event_type="order.cancelled")
    assert cancelled.payload["event"]["notify_customer"] is False
    assert not email_deliveries(number, "order.cancelled")
    live = Delivery.objects.filter(message=cancelled, channel=Delivery.Channel.LIVE)
    assert live.count() == 2  # staff and the order's own stream still hear of it
