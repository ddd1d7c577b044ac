"""Webhook deliveries: Standard Webhooks signatures, the same id on every retry, backoff over
72 hours, the attempt log, 410 and failure streaks disabling an endpoint, secret rotation,
manual replay and the SSRF guard. Requests go to a real HTTP server on 127.0.0.1."""

import json
import logging
import ssl
import subprocess
import threading
import time
from collections import deque
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.db import transaction
from django.utils import timezone
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from notifications import webhooks
from notifications.channels import webhook as webhook_channel
from notifications.models import (
    Delivery,
    OutboxMessage,
    WebhookAttempt,
    WebhookEndpoint,
    new_webhook_secret,
)
from notifications.services import dispatch, emit
from notifications.services import webhooks as services
from oms.actors import Actor
from oms.exceptions import Conflict, ValidationFailed


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: str

    @property
    def webhook_id(self) -> str:
        return self.headers["webhook-id"]

    @property
    def event_type(self) -> str:
        return json.loads(self.body)["type"]


class Sink:
    """A webhook receiver on 127.0.0.1 (random port) that records every request and answers
    the statuses it is told to, in order, then 200."""

    def __init__(self) -> None:
        self.received: list[Received] = []
        self.statuses: deque[int] = deque()
        self.delay_seconds = 0.0
        sink = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length", 0))
                body = self.rfile.read(length).decode()
                sink.received.append(
                    Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body)
                )
                if sink.delay_seconds:
                    time.sleep(sink.delay_seconds)
                status = sink.statuses.popleft() if sink.statuses else 200
                answer = f"answered {status}".encode()
                self.send_response(status)
                if 300 <= status < 400:
                    self.send_header("Location", "http://127.0.0.1:1/elsewhere")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hooks"

    def answer(self, *statuses: int) -> None:
        self.statuses.extend(statuses)

    def __enter__(self) -> "Sink":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def sink():
    with Sink() as running:
        yield running


@pytest.fixture(autouse=True)
def private_targets_allowed(settings):
    """The sink is on loopback: allowed, as in development, unless a test turns the guard on."""
    settings.OMS_WEBHOOKS_ALLOW_PRIVATE_TARGETS = True


def verify(secret: str, received: Received) -> dict:
    return Webhook(secret).verify(received.body, received.headers)


def publish(event_type: str = "order.cancelled", number: str = "100123") -> OutboxMessage:
    """Write an outbox message as a domain service would, then fan it out (the kick's job)."""
    with transaction.atomic():
        message = emit(
            event_type,
            aggregate_type="order",
            aggregate_id=number,
            payload={"order": {"number": number, "status": "cancelled", "total": "30.95"}},
        )
    dispatch.fan_out(message.pk)
    return message


def webhook_delivery(message: OutboxMessage, endpoint: WebhookEndpoint) -> Delivery:
    return Delivery.objects.get(message=message, endpoint=endpoint)


def retry_now(delivery: Delivery) -> Delivery:
    """What the sweep does once the backoff has passed."""
    Delivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now())
    dispatch.deliver(delivery.pk)
    delivery.refresh_from_db()
    return delivery


def make_endpoint(url: str, **kwargs) -> WebhookEndpoint:
    return services.create_endpoint(owner=None, url=url, **kwargs)


# --- Signatures and payload -------------------------------------------------------------------


def test_sign_matches_the_reference_library():
    secret = "whsec_" + "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    ours = webhooks.sign(secret, "msg_1", 1_700_000_000, '{"a":1}')
    reference = Webhook(secret).sign(
        "msg_1", datetime.fromtimestamp(1_700_000_000, tz=UTC), '{"a":1}'
    )
    assert ours == reference


@pytest.mark.django_db
def test_signature_verifies_with_the_standard_webhooks_library(sink):
    endpoint = make_endpoint(sink.url)
    message = publish("order.cancelled")

    [received] = sink.received
    assert received.path == "/hooks"
    payload = verify(endpoint.secret, received)
    assert payload == {
        "type": "order.cancelled",
        "timestamp": message.created_at.isoformat(),
        "data": message.payload,
    }
    assert received.webhook_id == str(message.pk)
    assert abs(int(received.headers["webhook-timestamp"]) - time.time()) < 60
    assert received.headers["content-type"] == "application/json"
    with pytest.raises(WebhookVerificationError):
        verify(new_webhook_secret(), received)
    delivery = webhook_delivery(message, endpoint)
    assert delivery.status == Delivery.Status.SENT
    [attempt] = delivery.attempts_log.all()
    assert (attempt.status_code, attempt.is_manual_replay) == (200, False)
    assert attempt.response_excerpt == "answered 200"


@pytest.mark.django_db
def test_every_endpoint_gets_the_same_webhook_id_for_one_message(sink):
    first, second = make_endpoint(sink.url), make_endpoint(sink.url + "?copy=1")
    message = publish()

    assert sorted(r.path for r in sink.received) == ["/hooks", "/hooks?copy=1"]
    assert {r.webhook_id for r in sink.received} == {str(message.pk)}
    secrets = {"/hooks": first.secret, "/hooks?copy=1": second.secret}
    for received in sink.received:
        verify(secrets[received.path], received)


# --- Retries ----------------------------------------------------------------------------------


def test_retry_schedule_spans_more_than_72_hours():
    assert sum(dispatch.RETRY_SCHEDULE, timedelta()) >= timedelta(hours=72)
    assert len(dispatch.RETRY_SCHEDULE) + 1 == dispatch.MAX_ATTEMPTS
    # Exponential in spirit: each wait at least as long as the one before.
    assert sorted(dispatch.RETRY_SCHEDULE) == dispatch.RETRY_SCHEDULE


@pytest.mark.django_db
def test_retry_keeps_the_webhook_id_and_logs_every_attempt(sink):
    endpoint = make_endpoint(sink.url)
    sink.answer(500)
    message = publish()

    delivery = webhook_delivery(message, endpoint)
    assert delivery.status == Delivery.Status.RETRYING
    assert delivery.last_error == "HTTP 500"
    assert delivery.next_attempt_at > timezone.now()
    endpoint.refresh_from_db()
    assert endpoint.failing_since is not None and endpoint.is_active

    delivery = retry_now(delivery)

    assert delivery.status == Delivery.Status.SENT
    first, second = sink.received
    assert first.webhook_id == second.webhook_id == str(message.pk)
    assert first.body == second.body
    verify(endpoint.secret, first)
    verify(endpoint.secret, second)
    attempts = list(WebhookAttempt.objects.filter(delivery=delivery).order_by("pk"))
    assert [a.status_code for a in attempts] == [500, 200]
    assert all(a.latency_ms >= 0 and a.endpoint_id == endpoint.pk for a in attempts)
    assert attempts[0].response_excerpt == "answered 500"
    endpoint.refresh_from_db()
    assert endpoint.failing_since is None  # a success ends the streak


@pytest.mark.django_db
def test_a_redirect_is_not_followed_and_counts_as_a_failure(sink):
    endpoint = make_endpoint(sink.url)
    sink.answer(302)
    message = publish()

    assert len(sink.received) == 1
    delivery = webhook_delivery(message, endpoint)
    assert delivery.status == Delivery.Status.RETRYING
    assert "redirect to http://127.0.0.1:1/elsewhere not followed" in delivery.last_error
    assert delivery.attempts_log.get().status_code == 302


@pytest.mark.django_db
def test_a_timeout_is_retried_and_logged_without_a_status_code(sink, settings):
    settings.OMS_WEBHOOK_TIMEOUT_SECONDS = 0.2
    sink.delay_seconds = 1
    endpoint = make_endpoint(sink.url)
    message = publish()

    delivery = webhook_delivery(message, endpoint)
    assert delivery.status == Delivery.Status.RETRYING
    attempt = delivery.attempts_log.get()
    assert attempt.status_code is None
    assert "timed out" in attempt.error
    assert attempt.latency_ms >= 150


@pytest.mark.django_db
def test_an_unreachable_endpoint_is_retried(settings):
    endpoint = make_endpoint("http://127.0.0.1:9/nothing-listens-here")
    message = publish()

    delivery = webhook_delivery(message, endpoint)
    assert delivery.status == Delivery.Status.RETRYING
    assert "ConnectionRefusedError" in delivery.attempts_log.get().error


# --- Disabling --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_an_endpoint_answering_410_is_disabled_and_gets_nothing_more(sink):
    endpoint = make_endpoint(sink.url)
    planned_before = publish("order.held", number="100001")  # fanned out, still pending below
    sink.received.clear()
    Delivery.objects.filter(message=planned_before).update(status=Delivery.Status.PENDING)
    sink.answer(410)
    gone = publish("order.cancelled", number="100002")

    delivery = webhook_delivery(gone, endpoint)
    assert delivery.status == Delivery.Status.DEAD  # no retry for 410
    endpoint.refresh_from_db()
    assert not endpoint.is_active
    assert endpoint.disabled_reason == "The endpoint answered 410 Gone."
    assert endpoint.disabled_at is not None
    assert len(sink.received) == 1

    publish("order.released", number="100003")  # a new message skips the endpoint
    dispatch.deliver(webhook_delivery(planned_before, endpoint).pk)  # a planned one gives up

    assert len(sink.received) == 1
    assert not Delivery.objects.filter(event_type="order.released", endpoint=endpoint).exists()
    planned = webhook_delivery(planned_before, endpoint)
    assert (planned.status, planned.last_error) == (Delivery.Status.DEAD, "endpoint disabled")


@pytest.mark.django_db
def test_an_endpoint_whose_delivery_gives_up_is_disabled_with_a_notice(
    sink, settings, mailoutbox, caplog, django_capture_on_commit_callbacks
):
    settings.ADMINS = ["ops@example.com"]
    endpoint = make_endpoint(sink.url)
    sink.answer(503)
    message = publish()
    delivery = webhook_delivery(message, endpoint)
    Delivery.objects.filter(pk=delivery.pk).update(attempts=dispatch.MAX_ATTEMPTS - 1)
    sink.answer(503)

    with (
        caplog.at_level(logging.WARNING, logger="notifications"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        delivery = retry_now(delivery)

    assert delivery.status == Delivery.Status.DEAD
    endpoint.refresh_from_db()
    assert not endpoint.is_active
    assert endpoint.disabled_reason == "A delivery gave up: HTTP 503"
    assert any(r.msg == "notifications.webhook_endpoint_disabled" for r in caplog.records)
    [notice] = mailoutbox
    assert notice.to == ["ops@example.com"]
    assert f"Webhook endpoint {endpoint.pk} disabled" in notice.subject
    assert "A delivery gave up: HTTP 503" in notice.body


@pytest.mark.django_db
def test_an_endpoint_failing_for_more_than_72_hours_is_disabled(sink):
    endpoint = make_endpoint(sink.url)
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
        failing_since=timezone.now() - timedelta(hours=73)
    )
    sink.answer(500)
    message = publish()

    assert webhook_delivery(message, endpoint).status == Delivery.Status.RETRYING
    endpoint.refresh_from_db()
    assert not endpoint.is_active
    assert endpoint.disabled_reason.startswith("Every request failed since")


@pytest.mark.django_db
def test_a_failure_within_72_hours_keeps_the_endpoint(sink):
    endpoint = make_endpoint(sink.url)
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
        failing_since=timezone.now() - timedelta(hours=71)
    )
    sink.answer(500)
    publish()

    endpoint.refresh_from_db()
    assert endpoint.is_active


@pytest.mark.django_db
def test_enabling_an_endpoint_clears_its_streak_and_sends_again(sink):
    endpoint = make_endpoint(sink.url)
    services.disable_endpoint(endpoint=endpoint, reason="by hand")
    publish(number="100001")
    assert sink.received == []

    endpoint = services.enable_endpoint(endpoint=endpoint)
    publish(number="100002")

    assert (endpoint.is_active, endpoint.disabled_reason, endpoint.disabled_at) == (True, "", None)
    assert len(sink.received) == 1


# --- Event types ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_endpoints_receive_only_the_event_types_they_asked_for(sink):
    make_endpoint(sink.url + "?all=1")
    make_endpoint(sink.url + "?cancelled=1", event_types=["order.cancelled"])
    make_endpoint(sink.url + "?orders=1", event_types=["order.*"])
    make_endpoint(sink.url + "?shipments=1", event_types=["shipment.*"])

    publish("order.cancelled")
    publish("order.held")

    got = sorted((r.path.split("?")[1], r.event_type) for r in sink.received)
    assert got == [
        ("all=1", "order.cancelled"),
        ("all=1", "order.held"),
        ("cancelled=1", "order.cancelled"),
        ("orders=1", "order.cancelled"),
        ("orders=1", "order.held"),
    ]


@pytest.mark.django_db
@pytest.mark.parametrize("event_types", [["order.canceled"], ["nothing.*"], ["order"], [""]])
def test_unknown_event_types_are_refused(event_types):
    with pytest.raises(ValidationFailed) as refused:
        make_endpoint("http://127.0.0.1:8080/", event_types=event_types)

    assert refused.value.errors[0]["field"] == "event_types.0"
    assert not WebhookEndpoint.objects.exists()


# --- Secret rotation --------------------------------------------------------------------------


@pytest.mark.django_db
def test_rotation_signs_with_both_secrets_until_the_overlap_ends(sink):
    endpoint = make_endpoint(sink.url)
    old_secret = endpoint.secret

    new_secret = services.rotate_secret(endpoint=endpoint, overlap=timedelta(hours=24))
    publish(number="100001")

    assert new_secret != old_secret and new_secret.startswith("whsec_")
    during = sink.received[-1]
    assert len(during.headers["webhook-signature"].split(" ")) == 2
    verify(old_secret, during)
    verify(new_secret, during)

    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
        previous_secret_expires_at=timezone.now() - timedelta(seconds=1)
    )
    publish(number="100002")

    after = sink.received[-1]
    assert len(after.headers["webhook-signature"].split(" ")) == 1
    verify(new_secret, after)
    with pytest.raises(WebhookVerificationError):
        verify(old_secret, after)


@pytest.mark.django_db
def test_rotation_without_overlap_drops_the_old_secret_at_once():
    endpoint = make_endpoint("http://127.0.0.1:8080/")
    services.rotate_secret(endpoint=endpoint, overlap=timedelta(0))

    endpoint.refresh_from_db()
    assert webhooks.signing_secrets(endpoint, timezone.now()) == [endpoint.secret]


# --- Manual replay ----------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_manual_replay_resends_a_sent_delivery_with_the_same_id(sink):
    endpoint = make_endpoint(sink.url)
    message = publish()
    delivery = webhook_delivery(message, endpoint)

    replayed = services.replay_delivery(delivery=delivery, actor=Actor.system("tests"))

    assert replayed.status == Delivery.Status.SENT
    first, again = sink.received
    assert first.webhook_id == again.webhook_id == str(message.pk)
    verify(endpoint.secret, again)
    flags = list(delivery.attempts_log.order_by("pk").values_list("is_manual_replay", flat=True))
    assert flags == [False, True]


@pytest.mark.django_db(transaction=True)
def test_manual_replay_revives_a_delivery_that_gave_up(sink):
    endpoint = make_endpoint(sink.url)
    sink.answer(500)
    message = publish()
    delivery = webhook_delivery(message, endpoint)
    Delivery.objects.filter(pk=delivery.pk).update(
        status=Delivery.Status.DEAD, attempts=dispatch.MAX_ATTEMPTS
    )

    replayed = services.replay_delivery(delivery=delivery, actor=Actor.system("tests"))

    assert replayed.status == Delivery.Status.SENT
    assert [r.webhook_id for r in sink.received] == [str(message.pk)] * 2


@pytest.mark.django_db(transaction=True)
def test_a_failed_replay_of_a_dead_delivery_gives_up_again_but_keeps_the_endpoint(sink):
    endpoint = make_endpoint(sink.url)
    message = publish()
    delivery = webhook_delivery(message, endpoint)
    Delivery.objects.filter(pk=delivery.pk).update(
        status=Delivery.Status.DEAD, attempts=dispatch.MAX_ATTEMPTS
    )
    sink.answer(500)

    replayed = services.replay_delivery(delivery=delivery, actor=Actor.system("tests"))

    assert replayed.status == Delivery.Status.DEAD
    endpoint.refresh_from_db()
    assert endpoint.is_active
    assert replayed.attempts_log.filter(is_manual_replay=True, status_code=500).exists()


@pytest.mark.django_db(transaction=True)
def test_replay_to_a_disabled_endpoint_is_refused_without_a_request(sink):
    endpoint = make_endpoint(sink.url)
    message = publish()
    services.disable_endpoint(endpoint=endpoint, reason="by hand")
    delivery = webhook_delivery(message, endpoint)

    with pytest.raises(Conflict):
        services.replay_delivery(delivery=delivery, actor=Actor.system("tests"))

    assert len(sink.received) == 1
    assert delivery.attempts_log.count() == 1


# --- SSRF guard -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.1.2.3",
        "172.16.0.1",
        "192.168.1.10",
        "169.254.169.254",  # cloud metadata
        "100.64.0.1",  # carrier-grade NAT
        "0.0.0.0",
        "224.0.0.1",
        "240.0.0.1",
        "::1",
        "fe80::1",
        "fc00::1",
        "::ffff:127.0.0.1",
        "::",
    ],
)
def test_non_public_addresses_are_not_public(address):
    assert not webhooks.is_public_address(address)


@pytest.mark.parametrize("address", ["93.184.215.14", "8.8.8.8", "2606:4700:4700::1111"])
def test_public_addresses_are_public(address):
    assert webhooks.is_public_address(address)


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8000/hooks",
        "http://localhost/hooks",
        "http://[::1]/hooks",
        "http://169.254.169.254/latest/meta-data/",
        "http://2130706433/",  # 127.0.0.1 spelt as a number
        "http://10.0.0.5/",
    ],
)
def test_check_target_refuses_private_targets_when_the_guard_is_on(url, settings):
    settings.OMS_WEBHOOKS_ALLOW_PRIVATE_TARGETS = False

    with pytest.raises(webhooks.TargetRefused):
        webhooks.check_target(url)


@pytest.mark.parametrize(
    "url", ["ftp://example.com/", "file:///etc/passwd", "http://user:pass@8.8.8.8/"]
)
def test_check_target_refuses_other_schemes_and_credentials_even_when_private_is_allowed(url):
    with pytest.raises(webhooks.TargetRefused):
        webhooks.check_target(url)


def test_check_target_pins_the_checked_addresses(settings):
    settings.OMS_WEBHOOKS_ALLOW_PRIVATE_TARGETS = False

    target = webhooks.check_target("https://8.8.8.8/hooks?x=1")

    assert (target.scheme, target.host, target.port, target.path) == (
        "https",
        "8.8.8.8",
        443,
        "/hooks?x=1",
    )
    assert target.addresses == ("8.8.8.8",)


def test_the_request_dials_the_checked_address_and_keeps_the_host_name(sink):
    # "hooks.test" does not resolve: only the pinned address can reach the sink.
    port = sink.server.server_address[1]
    target = webhooks.Target("http", "hooks.test", port, "/hooks", ("127.0.0.1",))

    answer = webhook_channel.post(target, b"{}", {"Content-Type": "application/json"}, 5)

    assert answer.status_code == 200
    assert sink.received[0].headers["host"] == f"hooks.test:{port}"


def test_https_dials_the_checked_address_and_verifies_the_host_name(tmp_path, monkeypatch):
    """TLS server name and certificate check use the URL's host, not the pinned address."""
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    openssl = "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=hooks.test"
    extension = "subjectAltName=DNS:hooks.test"
    command = [*openssl.split(), "-addext", extension, "-keyout", str(key), "-out", str(cert)]
    subprocess.run(command, check=True, capture_output=True)
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))  # the receiver's certificate is trusted
    tls_sink = Sink()
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    tls_sink.server.socket = context.wrap_socket(tls_sink.server.socket, server_side=True)
    port = tls_sink.server.server_address[1]

    def post_to(host: str) -> webhook_channel.Answer:
        target = webhooks.Target("https", host, port, "/hooks", ("127.0.0.1",))
        return webhook_channel.post(target, b"{}", {}, 5)

    with tls_sink:
        good, wrong_name = post_to("hooks.test"), post_to("other.test")

    assert good.status_code == 200
    assert wrong_name.status_code is None
    assert "CERTIFICATE_VERIFY_FAILED" in wrong_name.error
    assert len(tls_sink.received) == 1


@pytest.mark.django_db
def test_a_private_target_is_refused_at_creation_when_the_guard_is_on(settings):
    settings.OMS_WEBHOOKS_ALLOW_PRIVATE_TARGETS = False

    with pytest.raises(ValidationFailed) as refused:
        make_endpoint("http://127.0.0.1:8080/hooks")

    assert refused.value.code == "webhook_target_refused"
    assert refused.value.errors[0]["field"] == "url"
    assert not WebhookEndpoint.objects.exists()


@pytest.mark.django_db
def test_a_host_that_does_not_resolve_is_refused_only_when_the_guard_is_on(settings):
    url = "https://hooks.does-not-exist.invalid/"
    assert make_endpoint(url).url == url  # development: nothing to prove, no lookup

    settings.OMS_WEBHOOKS_ALLOW_PRIVATE_TARGETS = False
    with pytest.raises(ValidationFailed) as refused:
        make_endpoint(url)

    assert refused.value.code == "webhook_target_unresolvable"
    assert WebhookEndpoint.objects.count() == 1


@pytest.mark.django_db
def test_a_private_target_is_refused_at_send_time_when_the_guard_is_on(sink, settings):
    endpoint = make_endpoint(sink.url)  # allowed when it was saved
    settings.OMS_WEBHOOKS_ALLOW_PRIVATE_TARGETS = False  # e.g. its DNS now points inside
    message = publish()

    assert sink.received == []
    delivery = webhook_delivery(message, endpoint)
    assert delivery.status == Delivery.Status.DEAD  # permanent: not retried
    assert delivery.last_error.startswith("target refused")
    attempt = delivery.attempts_log.get()
    assert attempt.status_code is None and "127.0.0.1" in attempt.error
    endpoint.refresh_from_db()
    assert not endpoint.is_active


# --- Admin ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_admin_creates_an_endpoint_through_the_rules_and_shows_the_secret_once(
    admin_client, settings
):
    settings.OMS_WEBHOOKS_ALLOW_PRIVATE_TARGETS = False
    form = {"url": "http://10.0.0.7/hooks", "description": "", "event_types": '["order.*"]'}

    refused = admin_client.post("/admin/notifications/webhookendpoint/add/", form)
    settings.OMS_WEBHOOKS_ALLOW_PRIVATE_TARGETS = True
    accepted = admin_client.post("/admin/notifications/webhookendpoint/add/", form, follow=True)

    assert refused.status_code == 200
    assert "private, loopback or reserved" in refused.content.decode()
    endpoint = WebhookEndpoint.objects.get()
    assert endpoint.event_types == ["order.*"]
    assert endpoint.secret in accepted.content.decode()
    for page in ["webhookendpoint", "delivery", "webhookattempt", "liveevent", "deadletter"]:
        assert admin_client.get(f"/admin/notifications/{page}/").status_code == 200
    assert (
        admin_client.get(f"/admin/notifications/webhookendpoint/{endpoint.pk}/change/").status_code
        == 200
    )


@pytest.mark.django_db
def test_admin_actions_rotate_disable_and_enable(admin_client):
    endpoint = make_endpoint("http://127.0.0.1:8080/hooks")
    old_secret = endpoint.secret

    def act(action: str):
        return admin_client.post(
            "/admin/notifications/webhookendpoint/",
            {"action": action, "_selected_action": [endpoint.pk]},
            follow=True,
        )

    rotated = act("rotate_secret")
    endpoint.refresh_from_db()
    assert endpoint.secret != old_secret and endpoint.previous_secret == old_secret
    assert endpoint.secret in rotated.content.decode()
    act("disable")
    endpoint.refresh_from_db()
    assert not endpoint.is_active and endpoint.disabled_reason.startswith("Disabled by admin")
    act("enable")
    endpoint.refresh_from_db()
    assert endpoint.is_active


@pytest.mark.django_db(transaction=True)
def test_admin_replays_a_delivery_with_the_same_id(admin_client, sink):
    endpoint = make_endpoint(sink.url)
    message = publish()
    delivery = webhook_delivery(message, endpoint)
    page = admin_client.get(f"/admin/notifications/delivery/{delivery.pk}/change/")
    assert page.status_code == 200 and "answered 200" in page.content.decode()  # attempt inline

    admin_client.post(
        "/admin/notifications/delivery/",
        {"action": "replay", "_selected_action": [delivery.pk]},
        follow=True,
    )

    assert [r.webhook_id for r in sink.received] == [str(message.pk)] * 2
    assert delivery.attempts_log.filter(is_manual_replay=True).count() == 1
