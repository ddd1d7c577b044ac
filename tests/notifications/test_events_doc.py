"""docs/events.md: generated from the catalogue, committed up to date, one section with an
example payload per event, and each example shaped like the payload the services really emit."""

import json
import re
from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from notifications.catalogue import EVENTS
from notifications.management.commands.events_doc import DOC_PATH, EXAMPLES, render_events_doc
from notifications.models import OutboxMessage
from orders import services
from orders.models import Order
from tests.feedback.doc_scenario import feedback_scenario
from tests.notifications.return_scenario import returns_scenario
from tests.orders.builders import ACTOR, order_input

# Payloads no flow of the order core emits yet: refunds come with returns. A refund is written
# by the same code as a capture, so its example must have a capture's shape.
SHAPED_LIKE = {"payment.refunded": "payment.captured"}


def test_committed_events_doc_is_up_to_date():
    assert DOC_PATH.read_text(encoding="utf-8") == render_events_doc(), (
        "docs/events.md is stale: run manage.py events_doc"
    )
    call_command("events_doc", "--check")


def test_check_fails_when_the_doc_is_stale(tmp_path, monkeypatch):
    from notifications.management.commands import events_doc

    stale = tmp_path / "events.md"
    stale.write_text("# Event catalogue\n", encoding="utf-8")
    monkeypatch.setattr(events_doc, "DOC_PATH", stale)
    with pytest.raises(CommandError, match="stale") as error:
        call_command("events_doc", "--check")
    assert error.value.returncode == 1


def test_events_doc_has_one_section_and_example_per_catalogue_event():
    text = DOC_PATH.read_text(encoding="utf-8")
    sections = dict(re.findall(r"^### (\S+)\n(.*?)(?=^### |\Z)", text, flags=re.M | re.S))
    assert list(sections) == list(EVENTS)
    for name, spec in EVENTS.items():
        body = sections[name]
        assert spec.description in body
        assert f"- Customer email: {'yes' if spec.email else 'no'}" in body
        assert f"- Essential: {'yes' if spec.essential else 'no'}" in body
        assert f"- Payload version: {spec.version}" in body
        (example,) = re.findall(r"```json\n(.*?)\n```", body, flags=re.S)
        assert json.loads(example) == EXAMPLES[name]
    assert "webhook-signature" in text and '"data":' in text


def console_scenario() -> None:
    """The console's events, through the services the console calls: a payment link, an
    adjustment within authority, goodwill, one request approved, a case opened and resolved."""
    from django.contrib.auth.models import Group, User

    from orders.services.payment_links import send_payment_link
    from support.models import ApprovalRequest
    from support.services import approvals, cases

    agent = User.objects.create_user("doc-agent")
    agent.groups.add(Group.objects.get(name="agent"))
    boss = User.objects.create_user("doc-boss")
    boss.groups.add(Group.objects.get(name="supervisor"))
    awaiting = services.place_order(
        data=order_input([("TEE-M", 1)], channel="csr"), actor=ACTOR, await_payment=True
    )
    send_payment_link(order=awaiting, actor=ACTOR)
    order = services.place_order(data=order_input([("TEE-M", 2)]), actor=ACTOR)
    line = order.lines.get()
    approvals.request_price_adjustment(
        user=agent, order=order, line=line.pk, amount="5.00", reason_code="price_match", note="ad"
    )
    approvals.request_goodwill(
        user=agent, order=order, amount="5.00", reason_code="late_delivery", note="late"
    )
    approvals.request_goodwill(
        user=agent, order=order, amount="30.00", reason_code="service_recovery", note="upset"
    )
    pending = ApprovalRequest.objects.get(status="pending")
    approvals.approve_request(request_id=pending.pk, user=boss, note="fine")
    case = cases.open_case(
        customer=order.customer,
        channel="phone",
        reason="wismo",
        subject="Where is it?",
        order=order,
        actor=ACTOR,
    )
    cases.resolve_case(case=case, resolution="Told them", send_survey=True, actor=ACTOR)


def insights_scenario() -> None:
    """The early warning's events: an alert raised on a carrier, its exposed customers told by
    a supervisor, the alert resolved."""
    from django.contrib.auth.models import User

    from insights.services import notify_exposed_customers, run_detection
    from oms.actors import Actor
    from tests.insights.alert_builders import HOUR, NOW, carrier_in_trouble

    carrier_in_trouble()
    (alert,) = run_detection(now=NOW)
    supervisor = Actor.for_user(User.objects.create_user("doc-supervisor"))
    notify_exposed_customers(alert=alert, actor=supervisor, now=NOW)
    run_detection(now=NOW + 12 * HOUR)


def paths(value, prefix: str = "") -> set[str]:
    """Every key path in a payload ("order.number", "event.lines[].sku")."""
    if isinstance(value, dict):
        found = set()
        for key, item in value.items():
            found |= {prefix + key} | paths(item, f"{prefix}{key}.")
        return found
    if isinstance(value, list) and value and isinstance(value[0], dict):
        return paths(value[0], f"{prefix}[].")
    return set()


@pytest.mark.django_db(transaction=True)
def test_each_example_has_the_shape_of_a_payload_the_services_emit(stocked_variant):
    services.adjust_stock(
        sku="TEE-M", warehouse_code="EAST", delta=10, reason="receipt", actor=ACTOR
    )
    # Seven units: 15 at EAST cover them all; a second parcel comes from a split below.
    full = services.place_order(data=order_input([("TEE-M", 7)]), actor=ACTOR)
    (first,) = full.shipments.all()
    services.hold_order(order=full, actor=ACTOR, reason="address check")
    services.release_order(order=full, actor=ACTOR, reason="address confirmed")
    services.advance_shipment(shipment=first, status="picking", actor=ACTOR)
    first = services.ship_shipment(
        shipment=first, carrier="ups", tracking_number="1Z-DOC-1", actor=ACTOR
    )
    statuses = ["in_transit", "in_transit", "out_for_delivery", "exception", "delivered"]
    for index, status in enumerate(statuses):  # the second in_transit scan changes nothing
        services.record_tracking_event(
            carrier="ups",
            tracking_number="1Z-DOC-1",
            carrier_event_id=f"doc-{index}",
            status=status,
            occurred_at=datetime(2026, 11, 20, 8 + index, tzinfo=UTC),
            location="Cajamar, SP",
            actor=ACTOR,
        )

    late = services.place_order(data=order_input([("TEE-M", 1)]), actor=ACTOR)
    services.ship_shipment(
        shipment=late.shipments.get(), carrier="ups", tracking_number="1Z-DOC-2", actor=ACTOR
    )
    services.detect_delays(now=timezone.now() + timedelta(days=30))

    changed = services.place_order(data=order_input([("TEE-M", 2)]), actor=ACTOR)
    line = changed.lines.get()
    services.cancel_lines(order=changed, lines=[(line.pk, 1)], actor=ACTOR, reason="too many")
    services.cancel_order(order=changed, actor=ACTOR, reason="changed their mind")
    declined = order_input([("TEE-M", 1)], payment=services.PaymentInput(token="4000000000000002"))
    with pytest.raises(Exception, match="declined"):
        services.place_order(data=declined, actor=ACTOR)

    console_scenario()
    returns_scenario()
    insights_scenario()
    feedback_scenario()  # every feedback event: tests/feedback/doc_scenario.py

    emitted: dict[str, list[set[str]]] = {}
    for message in OutboxMessage.objects.order_by("created_at"):
        emitted.setdefault(message.event_type, []).append(paths(message.payload))
    assert Order.objects.filter(status=Order.Status.DELIVERED).exists()

    for name, example in EXAMPLES.items():
        real = emitted.get(SHAPED_LIKE.get(name, name))
        assert real, f"the scenario emitted no {name}: extend it"
        assert paths(example) in real, (
            f"the example for {name} does not have the shape of the emitted payload: "
            f"{sorted(paths(example) ^ real[0])}"
        )
