"""Write docs/events.md from the event catalogue, with one example payload per event.

    manage.py events_doc            write docs/events.md
    manage.py events_doc --stdout   print it instead
    manage.py events_doc --check    exit 1 if docs/events.md is not what this would write

The examples are fixed data, so the page only changes when the catalogue or an example does;
tests/notifications/test_events_doc.py checks that each example has the shape of the payload
the services really emit.
"""

import json
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from notifications.catalogue import EVENTS, EventSpec

DOC_PATH = Path(settings.BASE_DIR) / "docs" / "events.md"

ORDER = {
    "number": "100482",
    "status": "confirmed",
    "channel": "web",
    "external_reference": "SHOP-58213",
    "email": "ana.souza@example.com",
    "phone": "+5511987654321",
    "customer_name": "Ana Souza",
    "locale": "pt-br",
    "currency": "BRL",
    "total": "389.70",
    "promised_delivery_date": "2026-11-24",
    "tracking_url": "https://shop.example.com/track/100482:1vQpXk:h3Zq0c9kKQ2mYw1bX4cD7eF8gH9iJ0kL1mN2oP3qR4s/",
}
SHIPMENT = {
    "number": "100482-1",
    "status": "shipped",
    "warehouse": "SAO",
    "carrier": "correios",
    "tracking_number": "QB123456785BR",
    "estimated_delivery_date": "2026-11-23",
}
SCAN = {
    "shipment": "100482-1",
    "carrier_status": "in_transit",
    "location": "Cajamar, SP",
    "occurred_at": "2026-11-21T09:14:00Z",
    "description": "Objeto em trânsito",
}


def order_event(
    event_type: str, *, actor: str, reason: str = "", order: dict | None = None, **data: Any
) -> dict:
    """An order event's payload as orders.services.events.record writes it."""
    return {
        "order": {**ORDER, **(order or {})},
        "event": {"type": event_type, "reason": reason, "actor": actor, **data},
    }


def scan(carrier_status: str, **changes: Any) -> dict:
    return {**SCAN, "carrier_status": carrier_status, **changes}


RETURN = {
    "rma": "R100482-1",
    "status": "requested",
    "resolution": "refund",
    "is_withdrawal": False,
    "is_instant_exchange": False,
    "currency": "BRL",
    "estimated_total": "129.90",
    "refunded_amount": "0.00",
    "credited_amount": "0.00",
    "tracking_number": "",
    "exchange_order": None,
}
RETURN_LINES = [
    {"sku": "SHIRT-LINEN-M", "name": "Linen shirt, M", "quantity": 1, "reason": "size_too_small"}
]


def return_event(
    event_type: str,
    *,
    actor: str,
    reason: str = "",
    return_: dict | None = None,
    **data: Any,
) -> dict:
    """A return event's payload as returns.services.events.record writes it."""
    return {
        "order": {**ORDER, "status": "delivered"},
        "return": {**RETURN, **(return_ or {})},
        "event": {"type": event_type, "reason": reason, "actor": actor, **data},
    }


ALERT = {
    "id": 12,
    "subject_kind": "carrier",
    "subject_code": "correios",
    "metric": "contact_rate",
    "status": "open",
    "raised_at": "2026-11-21T17:15:00Z",
    "resolved_at": None,
    "window_start": "2026-11-21T11:15:00Z",
    "window_end": "2026-11-21T17:15:00Z",
    "observed_count": 16,
    "expected_count": "3.352",
    "volume": 396,
    "observed_rate": "4.040",
    "baseline_rate": "0.846",
    "drivers": [
        {"reason": "wismo", "count": 13, "expected": 1.61, "excess": 11.39, "baseline_share": 0.48},
        {"reason": "delay", "count": 2, "expected": 0.22, "excess": 1.78, "baseline_share": 0.065},
    ],
    "exposed_orders": 386,
    "exposed_shipments": 396,
}


EXAMPLES: dict[str, dict] = {
    "order.created": order_event(
        "placed", actor="storefront", order={"status": "pending_payment"}, warehouses=[3]
    ),
    "order.confirmed": order_event("confirmed", actor="storefront"),
    "order.updated": order_event(
        "lines_cancelled",
        actor="maria.santos",
        reason="Customer no longer wants the cap",
        order={"total": "259.80"},
        lines=[{"sku": "CAP-NAVY", "quantity": 1}],
    ),
    "order.cancelled": order_event(
        "cancelled",
        actor="maria.santos",
        reason="Customer changed their mind",
        order={"status": "cancelled", "total": "0.00"},
        # False when the customer already knows (a card declined at checkout): no email.
        notify_customer=True,
        **{"from": "confirmed"},
    ),
    "order.held": order_event(
        "held",
        actor="risk-review",
        reason="Billing and shipping countries differ",
        order={"status": "on_hold"},
    ),
    "order.released": order_event(
        "released", actor="maria.santos", reason="Customer confirmed by phone"
    ),
    "order.shipped": order_event(
        "status_changed",
        actor="wms",
        order={"status": "shipped"},
        **{"from": "processing", "to": "shipped"},
    ),
    "order.delivered": order_event(
        "status_changed",
        actor="carrier-hub",
        order={"status": "delivered"},
        **{"from": "shipped", "to": "delivered"},
    ),
    "payment.failed": order_event(
        "payment_failed",
        actor="storefront",
        reason="card_declined",
        order={"status": "pending_payment"},
        amount="389.70",
        method="Visa •••• 0002",
    ),
    "payment.captured": order_event(
        "payment_captured",
        actor="wms",
        reason="shipment 100482-1",
        order={"status": "shipped"},
        amount="389.70",
        method="Visa •••• 4242",
    ),
    "payment.refunded": order_event(
        "payment_refunded",
        actor="maria.santos",
        reason="Return RMA-20931: 1 × Linen shirt",
        order={"status": "delivered"},
        amount="129.90",
        method="Visa •••• 4242",
    ),
    "payment.voided": order_event(
        "payment_voided",
        actor="maria.santos",
        reason="Customer changed their mind",
        order={"status": "cancelled", "total": "0.00"},
        amount="389.70",
        method="Visa •••• 4242",
    ),
    "shipment.created": order_event("shipment_created", actor="storefront", shipments=["100482-1"]),
    "shipment.updated": order_event(
        "shipment_updated",
        actor="wms",
        order={"status": "processing"},
        shipment="100482-1",
        status="packed",
    ),
    "shipment.shipped": order_event(
        "shipped", actor="wms", order={"status": "shipped"}, shipment=SHIPMENT
    ),
    "shipment.in_transit": order_event(
        "tracking",
        actor="carrier-hub",
        order={"status": "shipped"},
        **scan("in_transit"),
        shipment_status="in_transit",
    ),
    "shipment.scanned": order_event(
        "tracking",
        actor="carrier-hub",
        order={"status": "shipped"},
        **scan(
            "in_transit",
            location="Curitiba, PR",
            occurred_at="2026-11-22T21:05:00Z",
            description="Objeto em trânsito - por favor aguarde",
        ),
    ),
    "shipment.out_for_delivery": order_event(
        "tracking",
        actor="carrier-hub",
        order={"status": "shipped"},
        **scan(
            "out_for_delivery",
            location="São Paulo, SP",
            occurred_at="2026-11-23T07:42:00Z",
            description="Objeto saiu para entrega ao destinatário",
        ),
        shipment_status="out_for_delivery",
    ),
    "shipment.delivered": order_event(
        "delivered",
        actor="carrier-hub",
        order={"status": "shipped"},
        **scan(
            "delivered",
            location="São Paulo, SP",
            occurred_at="2026-11-23T14:05:00Z",
            description="Objeto entregue ao destinatário",
        ),
        shipment_status="delivered",
    ),
    "shipment.exception": order_event(
        "shipment_exception",
        actor="carrier-hub",
        order={"status": "shipped"},
        **scan(
            "exception",
            location="São Paulo, SP",
            occurred_at="2026-11-23T15:30:00Z",
            description="Destinatário ausente",
        ),
        shipment_status="exception",
    ),
    "shipment.delayed": order_event(
        "delayed",
        actor="delay watch",
        reason="Shipment 100482-1 is late: due 2026-11-24, not delivered.",
        order={"status": "shipped"},
        shipment={**SHIPMENT, "status": "in_transit"},
        delay_reason="late",
        promised_delivery_date="2026-11-24",
        last_scan_at="2026-11-21T09:14:00Z",
        shipped_at="2026-11-20T16:02:11Z",
    ),
    "stock.adjusted": {
        "sku": "SHIRT-LINEN-M",
        "warehouse": "SAO",
        "delta": -2,
        "on_hand": 46,
        "allocated": 5,
        "reason": "Damaged in storage",
    },
    "order.payment_requested": order_event(
        "payment_link_sent",
        actor="maria.santos",
        order={"status": "pending_payment", "channel": "csr", "total": "369.70"},
        payment_url="https://shop.example.com/pay/100482:1vQpXk:Zq0c9kKQ2mYw1bX4cD7eF8gH9i/",
        expires_at="2026-11-24T18:00:00Z",
        valid_for_hours=48,
        lines=[
            {"sku": "SHIRT-LINEN-M", "name": "Linen shirt / M", "quantity": 2, "amount": "239.80"},
            {"sku": "CAP-NAVY", "name": "Cap / Navy", "quantity": 1, "amount": "110.00"},
        ],
        subtotal="389.70",
        discount_total="39.90",
        shipping_total="19.90",
    ),
    "order.adjusted": order_event(
        "adjusted",
        actor="maria.santos",
        reason="price_match",
        order={"total": "359.70"},
        adjustment_id=17,
        kind="price_adjustment",
        amount="30.00",
        # Set when the rep asked for a percentage of the line or order; else null.
        percentage=None,
        # The line's number and SKU; null and "" for an adjustment on the whole order.
        line=2,
        sku="CAP-NAVY",
        note="Matched the competitor's price the customer showed us",
        # Who approved it when it was above the rep's authority; "" when it was within.
        approved_by="",
        # Refunded at once (money already captured); the rest is simply not charged.
        refund_now="30.00",
    ),
    "store_credit.issued": order_event(
        "goodwill",
        actor="maria.santos",
        reason="late_delivery",
        entry_id=93,
        amount="25.00",
        credit_currency="BRL",
        balance="40.00",
        note="Parcel arrived four days late",
    ),
    "approval.requested": order_event(
        "approval_requested",
        actor="maria.santos",
        reason="service_recovery",
        request_id=41,
        action="goodwill_credit",
        amount="180.00",
        note="Third failed delivery; customer very upset",
        # Why it needs approval: above_limit, above_order_cap or no_rule.
        why="above_limit",
    ),
    "approval.decided": order_event(
        "approval_decided",
        actor="joao.lima",
        reason="service_recovery",
        request_id=41,
        action="goodwill_credit",
        amount="180.00",
        # approved, rejected, failed (approved but could not be applied) or withdrawn.
        decision="approved",
        requested_by="maria.santos",
        decision_note="OK given the history",
        # Why an approved request could not be applied; "" otherwise.
        failure="",
    ),
    "case.opened": {
        "case": {
            "id": 812,
            "reference": "C-812",
            "channel": "phone",
            "reason": "wismo",
            "status": "open",
            "customer_id": 77,
        },
        "order": {**ORDER},
        "event": {"type": "opened", "actor": "maria.santos"},
    },
    "case.updated": {
        "case": {
            "id": 812,
            "reference": "C-812",
            "channel": "phone",
            "reason": "wismo",
            "status": "resolved",
            "customer_id": 77,
        },
        "order": {**ORDER},
        "event": {"type": "status", "actor": "maria.santos", "from": "open", "to": "resolved"},
    },
    "case.survey_requested": {
        "case": {
            "id": 812,
            "reference": "C-812",
            "channel": "phone",
            "reason": "wismo",
            "status": "resolved",
            "customer_id": 77,
        },
        "order": {**ORDER},
        "event": {
            "type": "survey_sent",
            "actor": "maria.santos",
            "survey_url": "https://shop.example.com/survey/812:1vQpXk:Kq0c9kKQ2mYw1bX4c/",
        },
    },
    "return.requested": return_event(
        "requested",
        actor="ana.souza@example.com",
        reason="The collar is tight",
        via="portal",
        # True when a rep reviews it first; false when the policy approves it at once (a
        # return.approved follows in the same transaction).
        requires_review=True,
        lines=RETURN_LINES,
        # False when the policy approves it at once: the customer gets return.approved's email
        # (with the label) instead of two emails.
        notify_customer=True,
    ),
    "return.approved": return_event(
        "approved",
        actor="maria.santos",
        return_={"status": "approved", "tracking_number": "RP482913305117"},
        # The parcel must be scanned by then, or the return expires.
        expires_at="2026-12-08T14:05:00Z",
        # Refunded without a parcel ("keep it"): no label, no deadline.
        is_keep_it=False,
    ),
    "return.rejected": return_event(
        "rejected",
        actor="maria.santos",
        reason="The photos show wear: the item has been used",
        return_={"status": "rejected"},
    ),
    "return.cancelled": return_event(
        "cancelled",
        actor="ana.souza@example.com",
        reason="Decided to keep it",
        return_={"status": "cancelled", "tracking_number": "RP482913305117"},
    ),
    "return.expired": return_event(
        "expired",
        actor="return-expiry",
        reason="no carrier scan before the deadline",
        return_={"status": "expired", "tracking_number": "RP482913305117"},
        expires_at="2026-12-08T14:05:00Z",
    ),
    "return.in_transit": return_event(
        "in_transit",
        actor="returns-post tracking",
        return_={"status": "in_transit", "tracking_number": "RP482913305117"},
        # The carrier's event id (or status and time): a repeated scan is ignored.
        scan="RP482913305117-1",
        carrier="returns-post",
        carrier_status="picked_up",
        occurred_at="2026-11-26T10:12:00Z",
        location="São Paulo, SP",
        description="Objeto postado",
    ),
    "return.received": return_event(
        "received",
        actor="wms",
        return_={"status": "received", "tracking_number": "RP482913305117"},
        # Units that arrived in this receipt (receipts may come in parts).
        lines=[{"sku": "SHIRT-LINEN-M", "quantity": 1, "condition": "as_new"}],
        is_complete=True,
        warehouse="SAO",
    ),
    "return.inspected": return_event(
        "inspected",
        actor="wms",
        return_={
            "status": "inspected",
            "tracking_number": "RP482913305117",
        },
        lines=[{"sku": "SHIRT-LINEN-M", "quantity": 1, "disposition": "restock", "restocked": 1}],
        warehouse="SAO",
    ),
    "return.refunded": return_event(
        "refunded",
        actor="wms",
        reason="received",
        return_={
            "status": "refunded",
            "tracking_number": "RP482913305117",
            "refunded_amount": "129.90",
        },
        # What this release refunded, row by row; `refunded_total` is the return's total so far.
        amount="129.90",
        refunds=[{"kind": "refund", "amount": "129.90", "reference": "return:R100482-1:refund:1"}],
        refunded_total="129.90",
        credited_total="0.00",
        status="refunded",
    ),
    "return.credited": return_event(
        "credited",
        actor="wms",
        reason="received",
        return_={
            "status": "credited",
            "resolution": "store_credit",
            "estimated_total": "142.89",
            "tracking_number": "RP482913305117",
            "credited_amount": "142.89",
        },
        # Store credit and the policy's bonus for choosing it, as separate ledger entries.
        amount="142.89",
        refunds=[
            {
                "kind": "store_credit",
                "amount": "129.90",
                "reference": "return:R100482-1:credit:1",
            },
            {"kind": "bonus", "amount": "12.99", "reference": "return:R100482-1:bonus:1"},
        ],
        refunded_total="0.00",
        credited_total="142.89",
        status="credited",
        # The customer's store credit in this currency afterwards.
        balance="167.89",
    ),
    "return.exchanged": return_event(
        "exchanged",
        actor="wms",
        reason="received",
        return_={
            "status": "exchanged",
            "resolution": "exchange",
            "tracking_number": "RP482913305117",
            "exchange_order": "100517",
        },
        # The replacement order (channel "exchange") and the customer's signed page to follow
        # it, what it holds, and how it is paid: the returned value is applied as a discount;
        # `to_pay` above zero is asked for with a payment link (order.payment_requested on the
        # replacement order).
        exchange_order="100517",
        exchange_tracking_url="https://shop.example.com/track/100517:1vQpXk:Zk3m9QwE7rT2yU5iO8pA1sD4fG6hJ0kL3zX5cV7bN9m/",
        lines=[{"sku": "SHIRT-LINEN-L", "quantity": 1}],
        value="129.90",
        credit_applied="129.90",
        to_pay="0.00",
        # The replacement shipped before the return arrived, secured by a payment hold.
        is_instant=False,
        # Money the same receipt released: a cheaper replacement's difference, refunded on the
        # original order (kind exchange_difference); the return's totals so far.
        amount="0.00",
        refunds=[],
        refunded_total="0.00",
        credited_total="0.00",
        status="exchanged",
    ),
    "return.closed": return_event(
        "closed",
        actor="wms",
        return_={
            "status": "closed",
            "tracking_number": "RP482913305117",
            "refunded_amount": "129.90",
        },
    ),
    "return.withdrawal_acknowledged": return_event(
        "withdrawal_acknowledged",
        actor="ana.souza@example.com",
        return_={"is_withdrawal": True, "estimated_total": "409.60"},
        # When the withdrawal reached the store, to the second; the email states it in the
        # customer's time zone.
        received_at="2026-11-25T21:47:13.204518+00:00",
        time_zone="Europe/Berlin",
        # The statutory right used: "eu_14_days" (Directive 2011/83/EU) or "br_cdc_49".
        right="eu_14_days",
        lines=[{**RETURN_LINES[0], "reason": "withdrawal"}],
    ),
    "return.access_code": {
        "order": {**ORDER, "status": "delivered"},
        "access": {
            "code": "482913",
            "link": "https://shop.example.com/returns/access/100482:1vQs3n:Fq9Wm2xLpR7tYv3bN6cJ8kD0eH4gA1sZ5uI7oP2qX9w/",
            "code_expires_at": "2026-11-25T22:02:13.204Z",
            "code_valid_minutes": 15,
            "link_expires_at": "2026-12-02T21:47:13.204Z",
            "link_valid_days": 7,
        },
    },
    "order.disruption_notice": order_event(
        "note",
        actor="sam.supervisor",
        reason="Customer told about a disruption at carrier CORREIOS (alert #12).",
        order={"status": "shipped"},
        kind="disruption_notice",
        alert=12,
        subject_kind="carrier",
        subject_code="correios",
        subject_name="CORREIOS",
        metric="contact_rate",
        shipments=[{**SHIPMENT, "status": "in_transit"}],
    ),
    "insights.alert_raised": {"alert": {**ALERT, "p_value": 2.1e-07, "ratio": 4.77}},
    "insights.alert_resolved": {
        "alert": {**ALERT, "status": "resolved", "resolved_at": "2026-11-22T21:30:00Z"}
    },
    # Feedback (F1): the requests carry no link; the email adds the signed link at rendering.
    "feedback.review_requested": order_event(
        "feedback",
        actor="feedback-requests",
        reason="review and NPS request sent",
        order={"status": "delivered"},
        kind="review",
        request_id=311,
        expires_at="2026-12-29T10:00:00Z",
        # The lines still to review: received, not all returned, not reviewed yet.
        lines=[{"line_number": 1, "sku": "SHIRT-LINEN-M", "name": "Linen shirt / M"}],
    ),
    "feedback.return_survey_requested": order_event(
        "feedback",
        actor="feedback-requests",
        reason="return survey sent",
        order={"status": "delivered"},
        kind="return_survey",
        request_id=312,
        expires_at="2026-12-29T10:00:00Z",
        rma="R100482-1",
    ),
    "feedback.survey_answered": order_event(
        "feedback",
        actor="ana.souza@example.com",
        reason="survey answered",
        order={"status": "delivered"},
        # "nps" (0-10) or "return_experience" (1-5, with the return's "rma").
        kind="nps",
        response_id=88,
        request_id=311,
        score=9,
        comment="Chegou antes do prazo.",
    ),
    "review.submitted": {
        "order": {**ORDER, "status": "delivered"},
        "review": {
            "id": 5402,
            "product_id": 731,
            "sku": "SHIRT-LINEN-M",
            "line_number": 1,
            "rating": 5,
            "title": "Ótima camisa",
            "body": "Tecido leve, caimento perfeito.",
            "locale": "pt-br",
            # First name and last initial, as the storefront shows the author.
            "author": "Ana S.",
            "status": "pending",
            "photo_count": 1,
            "created_at": "2026-11-29T10:02:11Z",
            "published_at": None,
            "rejection_reason": "",
            "reply": "",
        },
        "event": {
            "type": "feedback",
            "reason": "review submitted",
            "actor": "ana.souza@example.com",
            "kind": "review",
            "review_id": 5402,
            "line_number": 1,
            "sku": "SHIRT-LINEN-M",
            "rating": 5,
            "photo_count": 1,
        },
    },
    # Moderation (F2): "review" as in review.submitted, after the decision; a reply to a
    # published review sends review.published again (event type "review_replied").
    "review.published": {
        "order": {**ORDER, "status": "delivered"},
        "review": {
            "id": 5402,
            "product_id": 731,
            "sku": "SHIRT-LINEN-M",
            "line_number": 1,
            "rating": 5,
            "title": "Ótima camisa",
            "body": "Tecido leve, caimento perfeito.",
            "locale": "pt-br",
            "author": "Ana S.",
            "status": "published",
            "photo_count": 1,
            "created_at": "2026-11-29T10:02:11Z",
            "published_at": "2026-11-29T14:30:00Z",
            "rejection_reason": "",
            "reply": "",
        },
        "event": {
            "type": "review_published",
            "reason": "",
            "actor": "marta.supervisor",
            # The product's published reviews after this one (feedback.selectors).
            "rating": {
                "product_id": 731,
                "count": 12,
                "average": "4.58",
                "histogram": {"1": 0, "2": 1, "3": 0, "4": 2, "5": 9},
            },
        },
    },
    "review.rejected": {
        "order": {**ORDER, "status": "delivered"},
        "review": {
            "id": 5403,
            "product_id": 732,
            "sku": "CAP-BLUE",
            "line_number": 2,
            "rating": 1,
            "title": "",
            "body": "Liguem para 11 98765-4321",
            "locale": "pt-br",
            "author": "Ana S.",
            "status": "rejected",
            "photo_count": 0,
            "created_at": "2026-11-29T10:02:11Z",
            "published_at": None,
            # off_topic, offensive, personal_data, spam, service_issue or other.
            "rejection_reason": "personal_data",
            "reply": "",
        },
        "event": {
            "type": "review_rejected",
            "reason": "Contains personal data: phone number",
            "actor": "marta.supervisor",
        },
    },
    # Replenishment (F3): the reorder link is the storefront's product page, not a secret.
    "replenishment.reminder": {
        "order": {**ORDER, "status": "delivered"},
        "event": {
            "type": "replenishment_reminder",
            "reminder_id": 2207,
            "product": {
                "id": 418,
                "name": "Café em grãos 500 g",
                "sku": "CAFE-500",
                "url": "https://shop.example.com/products/cafe-em-graos-500g/",
            },
            # Units the customer kept (bought, less cancelled and returned).
            "quantity": 2,
            "due_at": "2027-01-19T15:02:00Z",
        },
    },
    # Referrals (F4): one message per party; "order" is the recipient's own order (the friend's
    # first order, the referrer's latest), whose email and language the message goes to.
    "referral.rewarded": {
        "order": {**ORDER, "status": "delivered"},
        "event": {
            "type": "referral.rewarded",
            "actor": "referrals",
            "referral_id": 77,
            # "friend" (the new customer) or "referrer" (who shared the code).
            "party": "friend",
            # The other party's first name, for the greeting.
            "other_name": "Bruno",
            "entry_id": 1204,
            "amount": "20.00",
            "credit_currency": "BRL",
            "balance": "20.00",
        },
    },
}

HEADER = """# Event catalogue

<!-- Generated by `manage.py events_doc` from notifications/catalogue.py: do not edit by hand.
     Change the catalogue or the examples in notifications/management/commands/events_doc.py,
     then run the command again (a test fails while this page is stale). -->

Every change to an order, its payments, its shipments, its returns or the stock is written
together with an event in the same database transaction (the transactional outbox). Once the
transaction commits, the event is delivered to every channel that wants it; a change that rolls
back sends nothing.

- **Webhooks**: every event, to every active endpoint subscribed to its type (`order.cancelled`)
  or to a prefix (`order.*`), except the ones marked *email only* below: they carry a secret
  meant for the customer's inbox alone. See [Webhook envelope](#webhook-envelope).
- **Email**: the events marked *customer email* below go to the order's email address, in the
  customer's language (English or Brazilian Portuguese). Customers can turn off the
  non-essential ones in the preference centre linked from every email; essential
  (transactional) ones are always sent.
- **SMS**: non-essential delivery updates also go by SMS when the order has a phone number.
- **Live updates**: the staff console, the customer's tracking page and the customer's return
  status page follow every order and return event as it happens (email-only events excepted).
- **On the order**: every email, SMS and webhook delivery, including the ones skipped because the
  customer opted out, is listed under `notifications` in `GET /api/v1/orders/{number}/`.

## Payloads and versions

Each event has a payload version (below). Within a version, fields may be added, never removed
or changed in meaning: ignore fields you do not know. A breaking change gets a new version.

Order, payment and shipment events share one shape, `{"order": {...}, "event": {...}}`:

| field | meaning |
| --- | --- |
| `order.number` | the order number |
| `order.status` | the order's status after the change |
| `order.channel`, `order.external_reference` | where the order came from, and its id there |
| `order.email`, `order.phone`, `order.customer_name` | who to tell |
| `order.locale` | the customer's language: `en` or `pt-br` |
| `order.currency`, `order.total` | ISO 4217 code; the total as a decimal string |
| `order.promised_delivery_date` | the date promised at checkout (`YYYY-MM-DD`), or null |
| `order.tracking_url` | the customer's signed tracking page |
| `event.type` | the entry on the order's timeline (`cancelled`, `shipped`, `tracking`, ...) |
| `event.reason` | why, as given by whoever made the change (may be empty) |
| `event.actor` | who made the change: a staff user, an API client or a system process |
| `event.*` | what the change was about, per event (see the examples) |

Return events add the return, `{"order": {...}, "return": {...}, "event": {...}}`:

| field | meaning |
| --- | --- |
| `return.rma` | the return's number (RMA), the order number and a sequence: `R100482-1` |
| `return.status` | the return's status after the change (see [docs/returns.md](returns.md)) |
| `return.resolution` | what the customer gets: `refund`, `store_credit` or `exchange` |
| `return.is_withdrawal` | a statutory withdrawal (Brazil CDC art. 49, EU directive 2011/83/EU) |
| `return.is_instant_exchange` | the replacement shipped before the return arrived |
| `return.currency`, `return.estimated_total` | the amount estimated when it was requested |
| `return.refunded_amount` | refunded to the original payment so far |
| `return.credited_amount` | given as store credit so far (bonus included) |
| `return.tracking_number` | the return parcel's tracking number (on the label), or `""` |
| `return.exchange_order` | the replacement order's number, or null |

Amounts are decimal strings, never numbers, to keep their precision, written with the
currency's minor unit (`"389.70"` USD, `"3897"` JPY). Dates are `YYYY-MM-DD`, times
ISO 8601 in UTC.

## Webhook envelope

Each webhook is an HTTP `POST` with a JSON body and the headers of the
[Standard Webhooks](https://www.standardwebhooks.com/) specification:

```http
POST /hooks/oms HTTP/1.1
content-type: application/json
webhook-id: 5f0c2a9e-8d1b-4e57-9c3a-2b7d41e6f0a8
webhook-timestamp: 1795453611
webhook-signature: v1,K5oZfzN95Z9UVu1EsfQmfVNQhnkZ2pj9o9NDN/H/pI4=

{
  "type": "order.cancelled",
  "timestamp": "2026-11-23T14:26:51.482113+00:00",
  "data": {"order": {...}, "event": {...}}
}
```

- `type` is the event name, `timestamp` when it happened, `data` the payload documented below.
- `webhook-id` is the event's id, the same on every retry: use it to drop duplicates.
- `webhook-signature` is `v1,` + base64 of HMAC-SHA256 over
  `{webhook-id}.{webhook-timestamp}.{body}`, keyed with the base64-decoded part of your endpoint
  secret after `whsec_`. During a secret rotation several space-separated signatures are sent;
  accept the message if one matches. Reject timestamps more than five minutes from your clock.
- Answer with any 2xx within 10 seconds. Anything else is retried with exponential backoff for
  more than 72 hours; an endpoint answering `410 Gone` is disabled.
"""


def _yes_no(value: bool) -> str:
    return "yes" if value else "no"


def _summary(specs: list[EventSpec]) -> str:
    rows = ["| event | customer email | essential | version |", "| --- | --- | --- | --- |"]
    for spec in specs:
        email = "yes" + (" (+ SMS)" if spec.sms else "") if spec.email else "no"
        if not spec.webhook:
            email += " (email only)"
        rows.append(
            f"| [`{spec.name}`](#{spec.name.replace('.', '')}) | {email} "
            f"| {_yes_no(spec.essential)} | {spec.version} |"
        )
    return "\n".join(rows)


def _section(spec: EventSpec) -> str:
    if spec.email:
        email = "yes" + (", and SMS when the order has a phone number" if spec.sms else "")
    else:
        email = "no"
    if not spec.essential:
        essential = "no: customers who opted out in the preference centre do not receive it"
    elif spec.email or spec.sms:
        essential = "yes, transactional: sent even to customers who opted out of non-essential ones"
    else:
        essential = "yes (customers get no message for this event)"
    example = json.dumps(EXAMPLES[spec.name], indent=2, ensure_ascii=False)
    channels = ""
    if not spec.webhook or not spec.live:
        channels = (
            f"- Webhooks: {_yes_no(spec.webhook)}; live updates: {_yes_no(spec.live)} "
            "(email only: it carries a secret for the customer's inbox)\n"
        )
    return (
        f"### {spec.name}\n\n{spec.description}\n\n"
        f"- Customer email: {email}\n"
        f"- Essential: {essential}\n"
        f"{channels}"
        f"- Payload version: {spec.version}\n\n"
        f"```json\n{example}\n```\n"
    )


def render_events_doc() -> str:
    """The whole page, from the catalogue (in its order) and the examples."""
    specs = list(EVENTS.values())
    missing = sorted(set(EVENTS) - set(EXAMPLES))
    unknown = sorted(set(EXAMPLES) - set(EVENTS))
    if missing or unknown:
        raise CommandError(
            "Examples and catalogue differ: "
            f"no example for {missing or 'none'}; example for unknown {unknown or 'none'}. "
            "Edit EXAMPLES in notifications/management/commands/events_doc.py."
        )
    sections = "\n".join(_section(spec) for spec in specs)
    return f"{HEADER}\n## Events\n\n{_summary(specs)}\n\n{sections}"


def _shown(path: Path) -> Path:
    base = Path(settings.BASE_DIR)
    return path.relative_to(base) if path.is_relative_to(base) else path


class Command(BaseCommand):
    help = "Write docs/events.md (the event catalogue with example payloads)."

    def add_arguments(self, parser):
        parser.add_argument("--check", action="store_true", help="Fail if the file is stale.")
        parser.add_argument("--stdout", action="store_true", help="Print instead of writing.")

    def handle(self, *args, check: bool = False, stdout: bool = False, **options):
        text = render_events_doc()
        if stdout:
            self.stdout.write(text, ending="")
            return
        if check:
            current = DOC_PATH.read_text(encoding="utf-8") if DOC_PATH.exists() else ""
            if current != text:
                raise CommandError(
                    f"{_shown(DOC_PATH)} is stale: run manage.py events_doc", returncode=1
                )
            self.stdout.write(f"{_shown(DOC_PATH)} is up to date.")
            return
        DOC_PATH.parent.mkdir(parents=True, exist_ok=True)
        DOC_PATH.write_text(text, encoding="utf-8")
        self.stdout.write(f"Wrote {_shown(DOC_PATH)}.")
