"""Celery on Redis, against real processes: a broker outage loses no event and fails no request,
and a worker killed mid-task has every task completed after redelivery with its side effects
happening once in effect (live log rows unique per delivery, emails unique per Message-ID).
Then the base task class every project task is built on: what it retries, what it gives up on."""

import contextlib
import importlib
import os
import shutil
import signal
import time
from collections import Counter

import pytest
from billiard.einfo import ExceptionInfo
from celery.exceptions import SoftTimeLimitExceeded
from django.db import OperationalError

from notifications import tasks
from notifications.models import DeadLetter, Delivery, LiveEvent, OutboxMessage
from notifications.services import dispatch
from oms.actors import Actor
from oms.celery import app
from oms.task_base import RETRY_BACKOFF_MAX, ReliableTask
from orders import services
from tests.factories import StockFactory, VariantFactory, WarehouseFactory
from tests.notifications.workers import CeleryStack, in_flight, use_broker, wait_until
from tests.orders.builders import order_input

ACTOR = Actor.system("tests")
DELIVER = "notifications.tasks.deliver_delivery"


@pytest.fixture
def celery_stack(transactional_db, settings, tmp_path):
    """Builds the test's Celery stack (environment variables for its processes as arguments):
    a redis-server of its own, with this process sending its tasks there; the test starts the
    workers and beat it needs. Everything is killed at the end, even on failure."""
    if shutil.which("redis-server") is None:
        pytest.skip("needs redis-server on PATH")
    with contextlib.ExitStack() as cleanup:

        def build(**environment: str) -> CeleryStack:
            stack = CeleryStack(tmp_path, **environment)
            cleanup.callback(stack.close)
            stack.redis.start()
            settings.REDIS_URL = stack.redis.url
            cleanup.enter_context(use_broker(stack.redis.url))
            return stack

        yield build


def place_orders(count: int) -> list[str]:
    """Confirmed orders of one unit each, placed through the real services."""
    variant = VariantFactory(sku="MUG-RED")
    StockFactory(variant=variant, warehouse=WarehouseFactory(code="MAIN"), on_hand=count)
    return [
        services.place_order(data=order_input([(variant.sku, 1)]), actor=ACTOR).number
        for _ in range(count)
    ]


def everything_delivered() -> bool:
    return (
        not OutboxMessage.objects.filter(dispatched_at__isnull=True).exists()
        and not Delivery.objects.filter(
            status__in=[Delivery.Status.PENDING, Delivery.Status.RETRYING]
        ).exists()
    )


def assert_each_side_effect_once_in_effect(stack: CeleryStack) -> Counter:
    """Every delivery sent; one live log row per live delivery; every email delivery's
    Message-ID sent at least once and no other. Returns how often each Message-ID was sent."""
    assert not OutboxMessage.objects.filter(dispatched_at__isnull=True).exists()
    assert set(Delivery.objects.values_list("status", flat=True)) == {Delivery.Status.SENT}
    live = set(Delivery.objects.filter(channel=Delivery.Channel.LIVE).values_list("pk", flat=True))
    logged = list(
        LiveEvent.objects.filter(delivery__isnull=False).values_list("delivery_id", flat=True)
    )
    assert len(logged) == len(set(logged)) and set(logged) == live
    emails = stack.emails()
    expected = {
        f"<delivery-{pk}@oms.local>"
        for pk in Delivery.objects.filter(channel=Delivery.Channel.EMAIL).values_list(
            "pk", flat=True
        )
    }
    assert expected and set(emails) == expected
    assert not DeadLetter.objects.exists()
    return emails


@pytest.mark.postgres
@pytest.mark.real_worker
@pytest.mark.django_db(transaction=True)
def test_redis_outage_fails_no_request_and_every_event_is_delivered_once_when_it_returns(
    celery_stack, api, monkeypatch
):
    stack = celery_stack()
    worker, beat = stack.start_worker(), stack.start_beat()
    numbers = place_orders(50)
    wait_until(everything_delivered, timeout=90, what="the orders' events", detail=stack.describe)
    # Kill the broker between tasks, not during an acknowledgement: a worker whose ack is cut
    # off hits a kombu bug ("'NoneType' object has no attribute 'hostname'") and exits, to be
    # restarted by its supervisor (compose: restart unless-stopped; acks_late redelivers the
    # task). This test is about what requests and deliveries do while the broker is away.
    wait_until(stack.redis.holds_no_task, timeout=30, what="the worker to acknowledge its tasks")

    stack.redis.kill()
    from notifications import tasks

    publish_attempts = []
    real_delay = tasks.dispatch_message.delay

    def counting_delay(*args, **kwargs):
        publish_attempts.append(time.monotonic())
        return real_delay(*args, **kwargs)

    monkeypatch.setattr(tasks.dispatch_message, "delay", counting_delay)
    latencies = []
    outage_started = time.monotonic()
    for round_ in range(1_000 // len(numbers)):
        action = "hold" if round_ % 2 == 0 else "release"
        for number in numbers:
            started = time.monotonic()
            response = api.post(
                f"/api/v1/orders/{number}/{action}/", {"reason": "address check"}, format="json"
            )
            latencies.append(time.monotonic() - started)
            assert response.status_code == 200, response.content
    changes_took = time.monotonic() - outage_started
    monkeypatch.setattr(tasks.dispatch_message, "delay", real_delay)
    changes = OutboxMessage.objects.filter(event_type__in=["order.held", "order.released"])
    assert changes.count() == 1_000
    assert not changes.filter(dispatched_at__isnull=False).exists()  # Redis really was gone

    stack.redis.start()  # empty: the kicks that did go out before it died are lost too
    back = time.monotonic()
    # A deadline, not a speed target: on a loaded CI machine Celery's reconnect backoff and two
    # sweeps of 500 messages can take minutes; the test proves that everything arrives, once.
    wait_until(
        everything_delivered,
        timeout=300,
        what="every event after Redis came back",
        interval=0.5,
        detail=stack.describe,
    )
    delivered_after = time.monotonic() - back

    emails = assert_each_side_effect_once_in_effect(stack)
    assert set(emails.values()) == {1}  # nothing was killed: no email went twice
    change_deliveries = Delivery.objects.filter(message__in=changes)
    live_changes = change_deliveries.filter(channel=Delivery.Channel.LIVE)
    assert live_changes.count() == 2_000  # the staff stream and the order's own, for each
    assert set(change_deliveries.values_list("attempts", flat=True)) == {1}
    assert worker.poll() is None and beat.poll() is None  # both reconnected by themselves
    slow = [latency for latency in latencies if latency > 1]
    # With the broker down, a process tries to publish once per pause, not once per change:
    # the other 999 requests never wait on a dead broker. (Counted, not timed: timings belong
    # to benchmarks.)
    assert 1 <= len(publish_attempts) <= changes_took / dispatch.BROKER_PAUSE_SECONDS + 2
    print(
        f"\n1,000 changes with Redis down: {changes_took:.1f}s "
        f"(slowest request {max(latencies):.2f}s, {len(slow)} over 1s); "
        f"all delivered {delivered_after:.1f}s after Redis came back"
    )


@pytest.mark.postgres
@pytest.mark.real_worker
@pytest.mark.django_db(transaction=True)
def test_worker_killed_mid_task_completes_every_task_after_redelivery_with_effects_once(
    celery_stack,
):
    # Redis hands a dead worker's unacknowledged tasks out again after the visibility timeout
    # (an hour in production, seconds here); a delivery it had claimed comes free after its
    # lease (two minutes in production), and the sweep sends it again.
    stack = celery_stack(
        CELERY_VISIBILITY_TIMEOUT="6", OMS_TEST_LEASE_SECONDS="3", OMS_TEST_MAIL_DELAY="1.5"
    )
    first_worker = stack.start_worker()
    stack.start_beat()
    place_orders(10)

    def sending_emails() -> bool:
        running = in_flight(stack.journal()).values()
        return any(task["task"] == DELIVER for task in running) and bool(stack.emails())

    wait_until(sending_emails, timeout=30, what="emails being sent", detail=stack.describe)
    stack.kill(first_worker)
    killed = in_flight(stack.journal())
    killed_at = time.monotonic()
    stack.start_worker()

    def redone(task_id: str) -> bool:
        return any(
            entry["id"] == task_id
            and entry["event"] == "end"
            and entry["redelivered"]
            and entry["state"] == "SUCCESS"
            for entry in stack.journal()
        )

    wait_until(
        lambda: everything_delivered() and all(redone(task_id) for task_id in killed),
        timeout=60,
        what="every task to complete after the kill",
        interval=0.5,
        detail=lambda: f"\nkilled: {killed}{stack.describe()}",
    )
    completed_after = time.monotonic() - killed_at

    emails = assert_each_side_effect_once_in_effect(stack)
    killed_deliveries = {task["args"][0] for task in killed.values() if task["task"] == DELIVER}
    assert killed_deliveries  # the kill did catch deliveries mid-send
    # A mail that was out when its worker died goes again, with the same Message-ID: a receiver
    # (or a mail log) sees one email. Only those can repeat, and only once.
    sent_twice = {message_id for message_id, count in emails.items() if count > 1}
    assert sent_twice <= {f"<delivery-{pk}@oms.local>" for pk in killed_deliveries}
    assert max(emails.values()) <= 2
    print(
        f"\nkilled with {len(killed)} task(s) in flight ({len(killed_deliveries)} mid-send); "
        f"all completed {completed_after:.1f}s later; "
        f"{len(sent_twice)} email(s) out twice with the same Message-ID"
    )


@pytest.mark.postgres
@pytest.mark.real_worker
@pytest.mark.django_db(transaction=True)
def test_pool_process_killed_mid_task_has_its_task_redelivered_at_once(celery_stack):
    # reject_on_worker_lost: the worker itself survives, sees its child die and puts the task
    # back in the queue; no visibility timeout to wait for (an hour, as in production).
    stack = celery_stack(OMS_TEST_LEASE_SECONDS="3", OMS_TEST_MAIL_DELAY="1.5")
    worker = stack.start_worker()
    stack.start_beat()
    place_orders(4)

    def sending_email() -> dict | None:
        running = in_flight(stack.journal()).values()
        return next((task for task in running if task["task"] == DELIVER), None)

    task = wait_until(sending_email, timeout=30, what="an email being sent", detail=stack.describe)
    os.kill(task["pid"], signal.SIGKILL)
    killed_at = time.monotonic()

    def redone() -> bool:
        return any(
            entry["id"] == task["id"] and entry["event"] == "end" and entry["redelivered"]
            for entry in stack.journal()
        )

    wait_until(
        lambda: redone() and everything_delivered(),
        timeout=30,
        what="the task to run again",
        interval=0.2,
        detail=stack.describe,
    )
    completed_after = time.monotonic() - killed_at
    emails = assert_each_side_effect_once_in_effect(stack)
    assert {m for m, count in emails.items() if count > 1} <= {
        f"<delivery-{task['args'][0]}@oms.local>"
    }
    assert worker.poll() is None
    print(f"\npool process killed mid-send; all completed {completed_after:.1f}s later")


def test_every_project_task_is_built_on_the_reliable_base():
    for module in ["notifications.tasks", "oms.tasks", "orders.tasks"]:
        importlib.import_module(module)
    project_tasks = {
        name: task for name, task in app.tasks.items() if not name.startswith("celery.")
    }
    assert {
        "notifications.tasks.dispatch_message",
        "oms.tasks.purge_expired_idempotency_keys",
        "orders.tasks.cancel_abandoned_orders",
    } <= set(project_tasks)
    for task in project_tasks.values():
        assert isinstance(task, ReliableTask) and hasattr(task, "_orig_run"), task.name


def test_retries_wait_less_than_redis_takes_to_redeliver():
    """A retry waits in the worker, unacknowledged: were it to outlast the visibility timeout,
    Redis would hand it to a second worker while the first still holds it."""
    visibility_timeout = app.conf.broker_transport_options["visibility_timeout"]
    assert app.conf.task_soft_time_limit < app.conf.task_time_limit < visibility_timeout
    assert RETRY_BACKOFF_MAX + app.conf.task_time_limit < visibility_timeout


@pytest.mark.parametrize(
    ("error", "runs"),
    [
        (
            OperationalError("server closed the connection unexpectedly"),
            1 + ReliableTask.max_retries,
        ),
        (ConnectionRefusedError("connection refused"), 1 + ReliableTask.max_retries),
        (ValueError("a bug"), 1),
        (SoftTimeLimitExceeded(), 1),
    ],
    ids=["database-gone", "socket-refused", "bug", "soft-time-limit"],
)
def test_only_transient_errors_are_retried(monkeypatch, error, runs):
    calls = []

    def sweep():
        calls.append(1)
        raise error

    monkeypatch.setattr(dispatch, "sweep", sweep)
    propagates, app.conf.task_eager_propagates = app.conf.task_eager_propagates, False
    try:
        result = tasks.sweep_outbox.apply()  # inline: each retry runs at once
    finally:
        app.conf.task_eager_propagates = propagates
    assert result.failed() and isinstance(result.result, type(error))
    assert len(calls) == runs


@pytest.mark.django_db
def test_a_task_that_failed_for_good_on_a_worker_leaves_a_dead_letter():
    try:
        raise OperationalError("the database went away")
    except OperationalError as exc:
        error, einfo = exc, ExceptionInfo()
    tasks.deliver_delivery.push_request(id="task-1", args=["42"], is_eager=False)
    try:
        tasks.deliver_delivery.on_failure(error, "task-1", ["42"], {}, einfo)
    finally:
        tasks.deliver_delivery.pop_request()

    letter = DeadLetter.objects.get()
    assert (letter.task, letter.args, letter.kwargs) == (DELIVER, ["42"], {})
    assert "Traceback" in letter.error and "the database went away" in letter.error


@pytest.mark.django_db
def test_a_task_that_ran_inline_leaves_its_error_to_the_caller_not_a_dead_letter(monkeypatch):
    monkeypatch.setattr(dispatch, "sweep", lambda: 1 / 0)
    assert tasks.sweep_outbox.apply(throw=False).failed()
    assert not DeadLetter.objects.exists()
