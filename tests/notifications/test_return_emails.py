"""Return emails: every return event with an email renders in English and Brazilian Portuguese
with the facts the customer needs (RMA, amounts in their currency, the links); every one is a
service message that reaches customers who opted out of optional ones; the withdrawal
acknowledgement states when the withdrawal was received, in the customer's time zone; and the
portal's access code goes by email alone, never to webhooks or live streams."""

import copy

import pytest
from django.core import mail
from django.db import transaction
from django.utils import timezone, translation

from notifications import services as notifications
from notifications.catalogue import EVENTS
from notifications.management.commands.events_doc import EXAMPLES
from notifications.models import Delivery, LiveEvent, OutboxMessage, WebhookEndpoint
from notifications.rendering import RenderedEmail, register_context_provider, render_email
from notifications.routing import plan_deliveries
from notifications.services.preferences import set_preference
from notifications.templatetags import return_format
from returns.models import ReturnReason

RETURN_EMAILS = sorted(
    name for name, spec in EVENTS.items() if name.startswith("return.") and spec.email
)
PORTAL = "http://127.0.0.1:8000/returns/"


def render(event_type: str, locale: str = "en", **changes) -> RenderedEmail:
    """The email for the event's documented example, in `locale`, with `changes` to the
    payload's parts ({"event": {...}} updates the event)."""
    payload = copy.deepcopy(EXAMPLES[event_type])
    payload["order"]["locale"] = locale
    for part, values in changes.items():
        payload[part] = {**payload.get(part, {}), **values}
    message = OutboxMessage(
        event_type=event_type,
        aggregate_type="return",
        aggregate_id="R100482-1",
        payload=payload,
        created_at=timezone.now(),
    )
    email = render_email(message)
    assert email is not None, f"no templates for {event_type}"
    return email


def test_every_return_event_is_in_the_catalogue_with_its_channels():
    expected = {
        "return.requested": True,
        "return.approved": True,
        "return.rejected": True,
        "return.cancelled": True,
        "return.expired": True,
        "return.in_transit": False,
        "return.received": True,
        "return.inspected": False,
        "return.refunded": True,
        "return.credited": True,
        "return.exchanged": True,
        "return.closed": False,
        "return.withdrawal_acknowledged": True,
        "return.access_code": True,
    }
    returns = {name: spec.email for name, spec in EVENTS.items() if name.startswith("return.")}
    assert returns == expected
    # Service messages: each answers the customer's own request or says where their goods and
    # money are; the withdrawal acknowledgement is a legal duty.
    assert all(EVENTS[name].essential for name in expected)
    assert [name for name in expected if not EVENTS[name].webhook] == ["return.access_code"]
    assert [name for name in expected if not EVENTS[name].live] == ["return.access_code"]


@pytest.mark.parametrize("event_type", RETURN_EMAILS)
@pytest.mark.parametrize("locale", ["en", "pt-br"])
def test_every_return_email_renders_with_its_key_facts(event_type, locale):
    email = render(event_type, locale)
    example = EXAMPLES[event_type]

    assert email.subject.strip() and email.text.strip() and email.html.strip()
    assert "{%" not in email.text + email.html and "{{" not in email.text + email.html
    assert f'<html lang="{locale}">' in email.html
    assert example["order"]["number"] in email.subject
    for part in (email.text, email.html):
        assert example["order"]["number"] in part
        assert example["order"]["tracking_url"] in part
        if event_type == "return.access_code":
            assert example["access"]["code"] in part
            assert example["access"]["link"] in part
        else:
            assert example["return"]["rma"] in part
            assert PORTAL in part or example["event"].get("exchange_tracking_url", "-") in part


@pytest.mark.parametrize(
    ("event_type", "en", "pt_br"),
    [
        ("return.requested", "BRL 129.90", "BRL 129,90"),
        ("return.approved", "BRL 129.90", "BRL 129,90"),
        ("return.refunded", "BRL 129.90", "BRL 129,90"),
        ("return.credited", "BRL 142.89", "BRL 142,89"),
        ("return.credited", "BRL 12.99", "BRL 12,99"),  # the bonus
        ("return.credited", "BRL 167.89", "BRL 167,89"),  # the new balance
    ],
)
def test_amounts_are_written_with_their_currency_in_the_customer_format(event_type, en, pt_br):
    english, portuguese = render(event_type, "en"), render(event_type, "pt-br")

    for part in (english.text, english.html):
        assert en in part
    for part in (portuguese.text, portuguese.html):
        assert pt_br in part


def test_refund_email_states_the_amount_returned_to_the_original_payment():
    email = render("return.refunded")

    assert email.subject == "Your refund of BRL 129.90 for order 100482 is on its way"
    assert (
        "We have refunded BRL 129.90 to your original payment method for your return R100482-1."
    ) in email.text


def test_store_credit_email_shows_the_bonus_and_the_new_balance():
    email = render("return.credited")
    without_bonus = render(
        "return.credited",
        event={"refunds": [{"kind": "store_credit", "amount": "142.89", "reference": "c:1"}]},
    )

    assert "Store credit added: BRL 142.89" in email.text
    assert "Including a bonus of: BRL 12.99" in email.text
    assert "Your store credit now: BRL 167.89" in email.text
    assert "Your store credit now" not in render("return.credited", event={"balance": None}).text
    assert "bonus" not in without_bonus.text.lower()


def test_rejection_email_gives_the_reason():
    email = render("return.rejected")

    assert "The reason: The photos show wear: the item has been used" in email.text
    assert "The photos show wear: the item has been used" in email.html


def test_a_request_under_review_says_to_wait_and_an_approved_one_that_the_label_follows():
    reviewed = render("return.requested")
    approved = render("return.requested", event={"requires_review": False})

    assert "Please do not send anything before then." in reviewed.text
    assert "label follows in a separate email" in approved.text
    assert "1 × Linen shirt, M (Size too small)" in reviewed.text


def test_approval_email_links_to_the_label_and_names_the_rma_and_the_ship_by_date():
    email = render("return.approved")

    assert f"Print your return label: {PORTAL}" in email.text
    assert "R100482-1" in email.subject
    assert "Please send it by Dec. 8, 2026" in email.text
    assert "Return tracking number: RP482913305117" in email.text


def test_keep_it_approval_needs_no_label():
    email = render("return.approved", event={"is_keep_it": True, "expires_at": None})

    assert "do not need to send the items back" in email.text
    assert "label" not in email.text.lower()
    assert "RP482913305117" not in email.text


def test_exchange_email_names_the_replacement_order():
    email = render("return.exchanged")

    assert "100517" in email.subject
    assert "we have placed the replacement order 100517" in email.text
    assert "1 × SHIRT-LINEN-L" in email.text


def test_exchange_email_links_the_replacement_tracking_when_the_payload_has_it():
    tracking = "https://shop.example.com/track/100517:token/"
    email = render("return.exchanged", event={"exchange_tracking_url": tracking})

    assert f"Track your replacement: {tracking}" in email.text
    assert f'href="{tracking}"' in email.html


def test_exchange_price_difference_says_who_pays():
    charged = render("return.exchanged", event={"to_pay": "15.00"})
    refunded = render(
        "return.exchanged",
        event={"refunds": [{"kind": "exchange_difference", "amount": "15.00", "reference": "d"}]},
    )

    assert "pay the difference with the payment link" in charged.text
    assert "BRL 15.00" in charged.text
    assert "we have refunded the difference of BRL 15.00" in refunded.text
    assert "difference" not in render("return.exchanged").text


def test_withdrawal_acknowledgement_states_when_it_was_received_in_the_customer_zone():
    # Received 2026-11-25 21:47:13 UTC: 18:47:13 in São Paulo (UTC-3).
    brazil = {"time_zone": "America/Sao_Paulo", "right": "br_cdc_49"}
    english = render("return.withdrawal_acknowledged", event=brazil)
    portuguese = render("return.withdrawal_acknowledged", "pt-br", event=brazil)

    assert "Received on Nov. 25, 2026, 18:47:13 (America/Sao_Paulo, UTC-0300)" in english.text
    assert "18:47:13" in english.html and "America/Sao_Paulo" in english.html
    assert "25 de Novembro de 2026, 18:47:13 (America/Sao_Paulo, UTC-0300)" in portuguese.text
    assert "Law 8.078/1990), article 49" in english.text
    assert "R100482-1" in english.text


def test_withdrawal_acknowledgement_without_a_zone_names_utc():
    email = render("return.withdrawal_acknowledged", event={"right": "eu_14_days", "time_zone": ""})

    assert "Received on Nov. 25, 2026, 21:47:13 (UTC)" in email.text
    assert "2011/83/EU" in email.text
    assert "within 14 days" in email.text


def test_an_unknown_time_zone_falls_back_to_utc():
    email = render("return.withdrawal_acknowledged", event={"time_zone": "Mars/Olympus_Mons"})

    assert "21:47:13 (UTC)" in email.text


def test_withdrawal_acknowledgement_lists_what_was_withdrawn_when_the_payload_has_it():
    lines = [{"sku": "SHIRT-LINEN-M", "quantity": 2, "reason": "withdrawal"}]
    email = render("return.withdrawal_acknowledged", event={"lines": lines})

    assert "2 × SHIRT-LINEN-M" in email.text


def test_access_code_subject_never_carries_the_code():
    """The subject is what the order's notification list shows reps and integrators."""
    email = render("return.access_code")

    assert EXAMPLES["return.access_code"]["access"]["code"] not in email.subject
    assert "The code works once, for 15 minutes." in email.text
    assert "The link works for 7 days." in email.text


def test_a_context_provider_can_put_a_signed_status_link_in_return_emails():
    """The returns app may register a provider that signs a link to the return's own page; the
    emails use it instead of the portal's start page."""
    link = "http://127.0.0.1:8000/returns/access/signed-token/?next=/returns/r/R100482-1/"

    def provider(message):
        return {"return_status_url": link} if message.event_type == "return.approved" else {}

    register_context_provider(provider)
    try:
        approved, rejected = render("return.approved"), render("return.rejected")
    finally:
        from notifications import rendering

        rendering._context_providers.remove(provider)

    assert f"Print your return label: {link}" in approved.text
    assert "enter your order number" not in approved.text
    assert f"See your return: {PORTAL}" in rejected.text


def test_reason_labels_repeat_the_return_reasons_of_the_returns_app():
    assert set(return_format.REASONS) == set(ReturnReason.values)
    for locale in ("en", "pt-br"):
        with translation.override(locale):
            for code, label in return_format.REASONS.items():
                assert str(label) == str(ReturnReason(code).label)


# --- Who receives them ------------------------------------------------------------------------


def return_message(event_type: str, **order) -> OutboxMessage:
    payload = copy.deepcopy(EXAMPLES[event_type])
    payload["order"].update(order)
    return OutboxMessage.objects.create(
        event_type=event_type, aggregate_type="return", aggregate_id="R100482-1", payload=payload
    )


@pytest.mark.django_db
@pytest.mark.parametrize("event_type", RETURN_EMAILS)
def test_return_emails_reach_customers_who_opted_out_of_optional_messages(event_type):
    set_preference(email="ANA.SOUZA@example.com", wants_non_essential=False)

    (email,) = [
        d
        for d in plan_deliveries(return_message(event_type))
        if d.channel == Delivery.Channel.EMAIL
    ]

    assert email.target == "ana.souza@example.com"
    assert email.status == Delivery.Status.PENDING


@pytest.mark.django_db
def test_the_opt_out_still_stops_optional_messages():
    """The contrast: the same customer's optional delivery update is skipped."""
    set_preference(email="ana.souza@example.com", wants_non_essential=False)
    payload = copy.deepcopy(EXAMPLES["shipment.out_for_delivery"])
    message = OutboxMessage.objects.create(
        event_type="shipment.out_for_delivery",
        aggregate_type="order",
        aggregate_id="100482",
        payload=payload,
    )

    (email,) = [d for d in plan_deliveries(message) if d.channel == Delivery.Channel.EMAIL]

    assert email.status == Delivery.Status.SKIPPED


@pytest.mark.django_db
def test_return_events_reach_webhooks_and_the_live_streams_of_staff_order_and_return():
    WebhookEndpoint.objects.create(url="https://hooks.example.com/all")

    planned = {(d.channel, d.target) for d in plan_deliveries(return_message("return.approved"))}

    assert {
        (Delivery.Channel.LIVE, "staff"),
        (Delivery.Channel.LIVE, "order:100482"),
        (Delivery.Channel.LIVE, "return:R100482-1"),
        (Delivery.Channel.EMAIL, "ana.souza@example.com"),
    } <= planned
    assert any(channel == Delivery.Channel.WEBHOOK for channel, _ in planned)


@pytest.mark.django_db
def test_access_code_is_planned_for_the_email_alone_even_for_subscribed_webhooks():
    WebhookEndpoint.objects.create(url="https://hooks.example.com/all")  # every event
    WebhookEndpoint.objects.create(
        url="https://hooks.example.com/returns", event_types=["return.*"]
    )
    WebhookEndpoint.objects.create(
        url="https://hooks.example.com/codes", event_types=["return.access_code"]
    )

    planned = plan_deliveries(return_message("return.access_code"))

    assert [(d.channel, d.target) for d in planned] == [
        (Delivery.Channel.EMAIL, "ana.souza@example.com")
    ]


@pytest.mark.django_db(transaction=True)
def test_access_code_is_emailed_and_never_written_to_webhooks_or_the_live_log():
    WebhookEndpoint.objects.create(url="https://hooks.example.com/all")
    payload = copy.deepcopy(EXAMPLES["return.access_code"])
    code = payload["access"]["code"]

    with transaction.atomic():
        message = notifications.emit(
            "return.access_code", aggregate_type="order", aggregate_id="100482", payload=payload
        )

    (sent,) = mail.outbox  # dispatched after commit (tasks run inline in tests)
    assert sent.to == ["ana.souza@example.com"]
    assert code in sent.body and code not in sent.subject
    deliveries = Delivery.objects.filter(message=message)
    assert list(deliveries.values_list("channel", "status")) == [
        (Delivery.Channel.EMAIL, Delivery.Status.SENT)
    ]
    assert not LiveEvent.objects.exists()
