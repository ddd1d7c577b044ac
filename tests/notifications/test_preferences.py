"""The preference centre's topics: routing skips a non-essential message on every channel (email
and SMS) when the address turned off everything optional or the message's topic; transactional
messages always go; the page shows one toggle per topic and saves them."""

import re

import pytest
from django.test import Client

from notifications.catalogue import EVENTS, TOPICS
from notifications.models import ContactPreference, OutboxMessage
from notifications.preferences_links import preference_token
from notifications.routing import plan_deliveries
from notifications.services.preferences import (
    opt_out_reason,
    set_preference,
    wants_non_essential,
    wants_topic,
)

pytestmark = pytest.mark.django_db

SOME = "replenishment"
ORDER = {"number": "100001", "email": "Ana.Souza@Example.com", "phone": "+5511999990000"}


def message(event_type: str) -> OutboxMessage:
    return OutboxMessage(
        event_type=event_type,
        aggregate_type="order",
        aggregate_id="1",
        payload={"order": ORDER, "event": {}},
    )


def customer_channels(event_type: str) -> dict[str, tuple[str, str]]:
    return {
        d.channel: (d.status, d.last_error)
        for d in plan_deliveries(message(event_type))
        if d.channel in ("email", "sms")
    }


def test_every_non_essential_event_has_a_topic_and_every_topic_is_used():
    optional = {name: spec.topic for name, spec in EVENTS.items() if not spec.essential}
    assert all(topic in TOPICS for topic in optional.values()), optional
    assert {spec.topic for spec in EVENTS.values() if spec.topic} <= set(TOPICS)
    assert not [name for name, spec in EVENTS.items() if spec.essential and spec.topic]


def test_topic_opt_out_skips_email_and_sms_of_that_topic_only():
    set_preference(
        email="ana.souza@example.com",
        wants_non_essential=True,
        opted_out_topics=["delivery_updates"],
    )

    assert customer_channels("shipment.out_for_delivery") == {
        "email": ("skipped", "opted out: delivery_updates"),
        "sms": ("skipped", "opted out: delivery_updates"),
    }
    assert customer_channels("feedback.review_requested") == {"email": ("pending", "")}
    assert customer_channels("shipment.delivered") == {"email": ("pending", "")}


def test_global_opt_out_skips_every_topic_on_every_channel_but_not_transactional():
    set_preference(email="ANA.SOUZA@example.com", wants_non_essential=False)

    assert customer_channels("shipment.out_for_delivery") == {
        "email": ("skipped", "opted out"),
        "sms": ("skipped", "opted out"),
    }
    for event_type in ["feedback.review_requested", "replenishment.reminder"]:
        assert customer_channels(event_type) == {"email": ("skipped", "opted out")}
    assert customer_channels("shipment.delivered") == {"email": ("pending", "")}
    assert customer_channels("referral.rewarded") == {"email": ("pending", "")}


def test_no_preference_means_everything_is_sent():
    assert customer_channels("shipment.out_for_delivery") == {
        "email": ("pending", ""),
        "sms": ("pending", ""),
    }
    assert wants_topic("ana.souza@example.com", "recommendations")
    assert wants_non_essential("nobody@example.com")


def test_wants_topic_and_reason_helpers(django_assert_max_num_queries):
    set_preference(
        email="ana.souza@example.com",
        wants_non_essential=True,
        opted_out_topics=["recommendations", "not-a-topic"],
    )
    assert ContactPreference.objects.get().opted_out_topics == ["recommendations"]
    with django_assert_max_num_queries(1):
        assert not wants_topic(" Ana.Souza@example.com", "recommendations")
    assert wants_topic("ana.souza@example.com", "replenishment")
    assert wants_topic("ana.souza@example.com")
    assert opt_out_reason("ana.souza@example.com", "recommendations", essential=True) == ""
    with django_assert_max_num_queries(0):
        assert opt_out_reason("", "recommendations") == ""


def test_set_preference_without_topics_keeps_the_chosen_topics():
    set_preference(
        email="ana@example.com", wants_non_essential=True, opted_out_topics=["replenishment"]
    )
    set_preference(email="ANA@example.com", wants_non_essential=False)

    preference = ContactPreference.objects.get(email="ana@example.com")
    assert (preference.wants_non_essential, preference.opted_out_topics) == (
        False,
        ["replenishment"],
    )


def page_url(email: str = "ana@example.com") -> str:
    return f"/preferences/{preference_token(email)}/"


def other_addresses(count: int) -> None:
    ContactPreference.objects.bulk_create(
        ContactPreference(email=f"other{i}@example.com", opted_out_topics=[SOME])
        for i in range(count)
    )


@pytest.mark.parametrize("others", [0, 40])
def test_preference_page_lists_one_toggle_per_topic_and_the_master_switch(
    client, django_assert_max_num_queries, others
):
    other_addresses(others)
    set_preference(email="ana@example.com", wants_non_essential=True, opted_out_topics=[SOME])

    with django_assert_max_num_queries(2):
        response = client.get(page_url())

    html = response.content.decode()
    assert response.status_code == 200
    for topic, label in TOPICS.items():
        assert f'value="{topic}"' in html
        assert str(label) in html
    assert re.search(r'name="topics" value="delivery_updates"\s+checked', html)
    assert not re.search(r'name="topics" value="replenishment"\s+checked', html)
    assert re.search(r'name="wants_non_essential" value="on"\s+checked', html)
    assert "we always send them" in html


@pytest.mark.parametrize("others", [0, 40])
def test_preference_page_saves_topics_and_bounds_queries(django_assert_max_num_queries, others):
    other_addresses(others)
    client = Client(enforce_csrf_checks=True)
    url = page_url("Ana@Example.com")
    client.get(url)
    csrf = {"csrfmiddlewaretoken": client.cookies["csrftoken"].value}

    with django_assert_max_num_queries(8):  # savepoints included
        response = client.post(
            url,
            {
                **csrf,
                "wants_non_essential": "on",
                "topics": ["delivery_updates", "recommendations"],
            },
        )
    assert response.status_code == 302 and response["Location"] == f"{url}?saved=1"
    preference = ContactPreference.objects.get(email="ana@example.com")
    assert preference.wants_non_essential is True
    assert preference.opted_out_topics == ["feedback_requests", "replenishment"]

    page = client.get(response["Location"]).content.decode()
    assert "Your preferences have been saved." in page
    assert re.search(r'name="topics" value="recommendations"\s+checked', page)
    assert not re.search(r'name="topics" value="feedback_requests"\s+checked', page)

    client.post(url, {**csrf})  # nothing ticked: nothing non-essential, every topic off
    preference.refresh_from_db()
    assert preference.wants_non_essential is False
    assert preference.opted_out_topics == list(TOPICS)
    assert ContactPreference.objects.filter(email__startswith="ana").count() == 1


def test_preference_page_ignores_unknown_topics_and_refuses_forged_tokens(client):
    response = client.post(page_url(), {"wants_non_essential": "on", "topics": ["spam", "x"]})
    assert response.status_code == 302
    assert ContactPreference.objects.get().opted_out_topics == list(TOPICS)

    forged = page_url()[:-3] + "xx/"
    assert client.post(forged, {"wants_non_essential": "on"}).status_code == 404
    assert ContactPreference.objects.filter(email__startswith="ana").count() == 1
