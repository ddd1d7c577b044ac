"""Guest access to the returns portal: the lookup, the one-time code, the signed link, the
identical answers whatever the order and the identity, and the rate limits."""

from datetime import timedelta

import pytest
from django.core import signing
from django.test import Client
from django.utils import timezone

from notifications.management.commands.events_doc import EXAMPLES
from notifications.models import OutboxMessage
from notifications.rendering import render_email
from notifications.routing import plan_deliveries
from returns import tasks
from returns.models import PortalAccessCode, PortalAttempt
from returns.portal import access
from returns.services import portal_access
from tests.returns.portal_helpers import (
    access_messages,
    attempts,
    delivered,
    request_refund,
    sent_code,
    store_policy,
    without_csrf,
)

pytestmark = pytest.mark.django_db

LOW_LIMITS = {"order": 2, "identity": 3, "ip": 4}


@pytest.fixture
def order():
    store_policy()
    return delivered(email="ana@example.com", country="BR")


def look_up(client, number, *, email="", postal_code="", ip="198.51.100.7"):
    data = {"order_number": number, "identify_by": "email" if email else "postal_code"}
    data |= {"email": email} if email else {"postal_code": postal_code}
    return client.post("/returns/", data, REMOTE_ADDR=ip)


def verify(client, code, ip="198.51.100.7"):
    return client.post("/returns/verify/", {"code": code}, REMOTE_ADDR=ip)


def link_token(number: str) -> str:
    return portal_access.access_link(number).split("/returns/access/")[1].strip("/")


# --- the lookup -------------------------------------------------------------------------------


def test_lookup_with_the_order_email_emails_a_code_and_a_signed_link(client, order):
    response = look_up(client, order.number, email="  ANA@example.com ")

    assert response.status_code == 302 and response["Location"] == "/returns/verify/"
    [message] = access_messages(order)
    access_data = message.payload["access"]
    assert message.payload["order"]["number"] == order.number
    assert message.payload["order"]["email"] == "ana@example.com"
    assert len(access_data["code"]) == 6 and access_data["code"].isdigit()
    assert access_data["link"].startswith("http") and "/returns/access/" in access_data["link"]
    stored = PortalAccessCode.objects.get(order=order)
    assert access_data["code"] not in stored.code_hash  # only a keyed hash is kept
    assert stored.expires_at > timezone.now()


def test_lookup_with_the_shipping_postal_code_in_any_format_emails_the_code(client, order):
    look_up(client, order.number, postal_code="01305000")
    look_up(client, f"#{order.number}", postal_code=" 01305-000 ")

    assert access_messages(order).count() == 2


def test_the_access_email_goes_by_email_only_never_to_webhooks_or_live_streams(client, order):
    look_up(client, order.number, email="ana@example.com")

    [message] = access_messages(order)
    channels = {delivery.channel for delivery in plan_deliveries(message)}
    assert channels == {"email"}


@pytest.mark.parametrize(
    "identity",
    [{"email": "someone@example.com"}, {"postal_code": "99999-999"}],
    ids=["wrong email", "wrong postal code"],
)
def test_a_wrong_identity_sends_nothing(client, order, identity):
    look_up(client, order.number, **identity)

    assert not access_messages().exists()
    assert not PortalAccessCode.objects.exists()


def test_wrong_email_wrong_postal_code_unknown_order_and_a_match_get_identical_answers(
    client, order
):
    cases = {
        "match": {"number": order.number, "email": "ana@example.com"},
        "wrong email": {"number": order.number, "email": "eve@example.com"},
        "wrong postal code": {"number": order.number, "postal_code": "11111-111"},
        "unknown order": {"number": "999999", "email": "ana@example.com"},
    }
    answers = {}
    for name, case in cases.items():
        client.cookies.clear()
        number = case.pop("number")
        answer = look_up(client, number, **case)
        page = client.get(answer["Location"])
        answers[name] = (
            answer.status_code,
            answer.content,
            answer["Location"],
            page.status_code,
            tuple(t.name for t in page.templates),
            # The unknown order's page names the number the customer typed; the rest is equal.
            without_csrf(page.content).replace(b"999999", order.number.encode()),
        )

    assert len(set(answers.values())) == 1, {k: v[:4] for k, v in answers.items()}
    assert access_messages().count() == 1  # the match only


def test_the_code_page_without_a_lookup_goes_back_to_the_start(client):
    response = client.get("/returns/verify/")

    assert response.status_code == 302 and response["Location"] == "/returns/"


# --- the code ---------------------------------------------------------------------------------


def test_the_code_opens_the_order_once(client, order):
    look_up(client, order.number, email="ana@example.com")
    code = sent_code(order)

    response = verify(client, code)
    again = Client()
    look_up(again, order.number, email="nobody@example.com")  # a pending lookup, no new code
    reused = verify(again, code)

    assert response.status_code == 302 and response["Location"] == f"/returns/o/{order.number}/"
    assert client.session[access.GRANTS_KEY] == [order.number]
    assert client.get(response["Location"]).status_code == 200
    assert reused.status_code == 400
    assert access.GRANTS_KEY not in again.session
    assert again.get(f"/returns/o/{order.number}/").status_code == 404


def test_an_expired_code_does_not_open_the_order(client, order):
    look_up(client, order.number, email="ana@example.com")
    PortalAccessCode.objects.update(expires_at=timezone.now() - timedelta(seconds=1))

    response = verify(client, sent_code(order))

    assert response.status_code == 400
    assert "not valid or has expired" in response.content.decode()
    assert access.GRANTS_KEY not in client.session


def test_five_wrong_codes_kill_the_code(client, order, settings):
    settings.OMS_PORTAL_MAX_ATTEMPTS = {"order": 100, "identity": 100, "ip": 100}
    look_up(client, order.number, email="ana@example.com")
    code = sent_code(order)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"

    answers = [verify(client, wrong).status_code for _ in range(5)]
    right_too_late = verify(client, code)

    assert answers == [400] * 5
    assert PortalAccessCode.objects.get(order=order).failed_attempts == 5
    assert right_too_late.status_code == 400
    assert access.GRANTS_KEY not in client.session


def test_a_new_lookup_sends_a_new_code_and_the_used_code_stays_used(client, order):
    look_up(client, order.number, email="ana@example.com")
    first = sent_code(order)
    verify(client, first)

    look_up(client, order.number, email="ana@example.com")
    second = sent_code(order)

    assert verify(client, first).status_code == 400
    assert verify(client, second).status_code == 302


def test_a_malformed_code_is_refused_by_the_form_without_counting_against_the_code(client, order):
    look_up(client, order.number, email="ana@example.com")

    response = verify(client, "12ab")

    assert response.status_code == 400
    assert PortalAccessCode.objects.get(order=order).failed_attempts == 0


def test_one_browser_can_hold_two_orders(client, order):
    other = delivered(email="ana@example.com", country="US")
    for each in (order, other):
        look_up(client, each.number, email="ana@example.com")
        verify(client, sent_code(each))

    assert client.session[access.GRANTS_KEY] == [order.number, other.number]
    assert client.get(f"/returns/o/{order.number}/").status_code == 200
    assert client.get(f"/returns/o/{other.number}/").status_code == 200


def test_a_grant_starts_a_new_session(client, order):
    client.get("/returns/")
    look_up(client, order.number, email="ana@example.com")
    before = client.session.session_key

    verify(client, sent_code(order))

    assert client.session.session_key != before  # a planted session id is worth nothing


# --- the signed link --------------------------------------------------------------------------


def test_the_signed_link_opens_the_order(client, order):
    response = client.get(f"/returns/access/{link_token(order.number)}/")

    assert response.status_code == 302 and response["Location"] == f"/returns/o/{order.number}/"
    assert client.get(response["Location"]).status_code == 200


def test_an_expired_link_is_404(client, order, settings):
    token = link_token(order.number)
    settings.OMS_PORTAL_LINK_VALID_FOR = timedelta(seconds=-1)

    response = client.get(f"/returns/access/{token}/")

    assert response.status_code == 404
    assert access.GRANTS_KEY not in client.session


def test_a_tampered_link_is_404(client, order):
    other = delivered(email="bob@example.com", country="US")
    token = link_token(order.number)
    number, stamp, signature = token.split(":")
    forged_signature = (
        f"{number}:{stamp}:{signature[:-2]}{'xy' if signature[-2:] != 'xy' else 'zz'}"
    )
    other_number = f"{other.number}:{stamp}:{signature}"
    other_salt = signing.TimestampSigner(salt="oms.order-tracking").sign(order.number)

    for forged in (forged_signature, other_number, other_salt, "garbage"):
        response = client.get(f"/returns/access/{forged}/")
        assert response.status_code == 404, forged
    assert access.GRANTS_KEY not in client.session


def test_a_link_for_an_order_that_does_not_exist_is_404(client, db):
    assert client.get(f"/returns/access/{link_token('999999')}/").status_code == 404


def test_the_link_in_a_return_email_opens_that_return(client, order, settings):
    return_request = request_refund(order)

    url = portal_access.access_link(order.number, rma=return_request.rma)
    response = client.get(url.removeprefix(settings.OMS_PUBLIC_URL.rstrip("/")))

    assert response["Location"] == f"/returns/r/{return_request.rma}/"


# --- rate limits ------------------------------------------------------------------------------


def limited_lookups(client, settings, order, attempts_list):
    settings.OMS_PORTAL_MAX_ATTEMPTS = LOW_LIMITS
    answers = []
    for number, identity, ip in attempts_list:
        answers.append(look_up(client, number, ip=ip, **identity))
    return answers


def test_lookups_are_limited_per_order_number(client, order, settings):
    answers = limited_lookups(
        client,
        settings,
        order,
        [
            (order.number, {"email": "eve@example.com"}, "203.0.113.1"),
            (order.number, {"postal_code": "11111"}, "203.0.113.2"),
            (order.number, {"email": "ana@example.com"}, "203.0.113.3"),  # right, but too late
        ],
    )

    assert [a.status_code for a in answers] == [302, 302, 429]
    assert not access_messages().exists()


def test_lookups_are_limited_per_email(client, order, settings):
    answers = limited_lookups(
        client,
        settings,
        order,
        [
            ("900001", {"email": "ana@example.com"}, "203.0.113.1"),
            ("900002", {"email": "ana@example.com"}, "203.0.113.2"),
            ("900003", {"email": "ana@example.com"}, "203.0.113.3"),
            (order.number, {"email": "ANA@example.com"}, "203.0.113.4"),
        ],
    )

    assert [a.status_code for a in answers] == [302, 302, 302, 429]
    assert not access_messages().exists()


def test_lookups_are_limited_per_postal_code(client, order, settings):
    answers = limited_lookups(
        client,
        settings,
        order,
        [
            ("900001", {"postal_code": "01305-000"}, "203.0.113.1"),
            ("900002", {"postal_code": "01305000"}, "203.0.113.2"),
            ("900003", {"postal_code": "01305 000"}, "203.0.113.3"),
            (order.number, {"postal_code": "01305-000"}, "203.0.113.4"),
        ],
    )

    assert [a.status_code for a in answers] == [302, 302, 302, 429]
    assert not access_messages().exists()


def test_lookups_are_limited_per_client_ip(client, order, settings):
    answers = limited_lookups(
        client,
        settings,
        order,
        [
            ("900001", {"email": "a@example.com"}, "203.0.113.9"),
            ("900002", {"email": "b@example.com"}, "203.0.113.9"),
            ("900003", {"email": "c@example.com"}, "203.0.113.9"),
            ("900004", {"email": "d@example.com"}, "203.0.113.9"),
            (order.number, {"email": "ana@example.com"}, "203.0.113.9"),
        ],
    )

    assert [a.status_code for a in answers] == [302, 302, 302, 302, 429]
    assert not access_messages().exists()


def test_the_limit_ignores_forwarded_for_headers(client, order, settings):
    settings.OMS_PORTAL_MAX_ATTEMPTS = LOW_LIMITS
    statuses = [
        client.post(
            "/returns/",
            {"order_number": f"90000{i}", "identify_by": "email", "email": f"{i}@example.com"},
            REMOTE_ADDR="203.0.113.9",
            HTTP_X_FORWARDED_FOR=f"10.0.0.{i}",
        ).status_code
        for i in range(5)
    ]

    assert statuses == [302, 302, 302, 302, 429]


def test_every_refused_lookup_gets_the_same_429_page(client, order, settings):
    settings.OMS_PORTAL_MAX_ATTEMPTS = {"order": 0, "identity": 0, "ip": 0}
    pages = []
    for number, identity in [
        (order.number, {"email": "ana@example.com"}),
        (order.number, {"email": "eve@example.com"}),
        (order.number, {"postal_code": "01305-000"}),
        ("999999", {"email": "ana@example.com"}),
    ]:
        response = look_up(client, number, **identity)
        pages.append((response.status_code, without_csrf(response.content)))

    assert len(set(pages)) == 1
    assert pages[0][0] == 429
    assert b"Too many attempts" in pages[0][1]
    assert order.number.encode() not in pages[0][1] and b"ana@example.com" not in pages[0][1]
    assert not access_messages().exists()


def test_refused_lookups_are_not_recorded(client, order, settings):
    settings.OMS_PORTAL_MAX_ATTEMPTS = LOW_LIMITS
    for _ in range(2):
        look_up(client, order.number, email="eve@example.com")
    recorded = attempts()

    for _ in range(5):
        assert look_up(client, order.number, email="eve@example.com").status_code == 429

    assert attempts() == recorded


def test_attempts_older_than_the_window_no_longer_count(client, order, settings):
    settings.OMS_PORTAL_MAX_ATTEMPTS = LOW_LIMITS
    for _ in range(2):
        look_up(client, order.number, email="eve@example.com")
    PortalAttempt.objects.update(
        created_at=timezone.now() - settings.OMS_PORTAL_ATTEMPT_WINDOW - timedelta(seconds=1)
    )

    assert look_up(client, order.number, email="ana@example.com").status_code == 302
    assert access_messages().count() == 1


def test_code_checks_are_limited_per_order_and_ip(client, order, settings):
    settings.OMS_PORTAL_MAX_ATTEMPTS = {"order": 3, "identity": 10, "ip": 10}
    look_up(client, order.number, email="ana@example.com")
    code = sent_code(order)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"

    statuses = [verify(client, wrong, ip=f"203.0.113.{i}").status_code for i in range(2)]
    statuses.append(verify(client, code, ip="203.0.113.50").status_code)  # 3rd: still allowed
    look_up(client, order.number, email="ana@example.com")
    statuses.append(verify(client, sent_code(order), ip="203.0.113.51").status_code)

    assert statuses == [400, 400, 302, 429]


def test_purge_deletes_old_attempts_and_long_expired_codes_only(client, order, settings):
    look_up(client, order.number, email="ana@example.com")
    look_up(client, order.number, email="ana@example.com")
    old, recent = PortalAccessCode.objects.order_by("pk")
    now = timezone.now()
    PortalAccessCode.objects.filter(pk=old.pk).update(expires_at=now - timedelta(days=2))
    oldest = list(PortalAttempt.objects.order_by("pk").values_list("pk", flat=True)[:3])
    PortalAttempt.objects.filter(pk__in=oldest).update(
        created_at=now - settings.OMS_PORTAL_ATTEMPT_WINDOW - timedelta(minutes=1)
    )
    kept_attempts = PortalAttempt.objects.count() - 3

    deleted = portal_access.purge_expired_access()

    assert deleted == 4
    assert PortalAttempt.objects.count() == kept_attempts
    assert list(PortalAccessCode.objects.values_list("pk", flat=True)) == [recent.pk]


def test_beat_purges_old_attempts_through_the_task(db, settings):
    entry = settings.CELERY_BEAT_SCHEDULE["purge-portal-access"]
    old = PortalAttempt.objects.create(key="order:1")
    PortalAttempt.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=2))
    fresh = PortalAttempt.objects.create(key="order:1")

    assert entry["task"] == "returns.tasks.purge_portal_access"
    assert tasks.purge_portal_access.delay().get() >= 1
    assert list(PortalAttempt.objects.values_list("pk", flat=True)) == [fresh.pk]


def test_return_emails_link_to_the_return_through_a_signed_link_the_payload_never_carries():
    payload = EXAMPLES["return.approved"]
    message = OutboxMessage(
        event_type="return.approved",
        aggregate_type="return",
        aggregate_id=payload["return"]["rma"],
        payload=payload,
        created_at=timezone.now(),
    )

    email = render_email(message)

    token = email.text.split("/returns/access/")[1].split("/")[0]
    assert portal_access.order_number_from_link(token) == payload["order"]["number"]
    assert f"?r={payload['return']['rma']}" in email.text
    assert "/returns/access/" not in str(payload)
