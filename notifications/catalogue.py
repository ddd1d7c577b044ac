"""The event catalogue: every event the system emits, its payload version, and who hears of it.

docs/events.md is generated from this list (`make events-doc`) and checked by a test.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class EventSpec:
    name: str
    description: str
    # Transactional: sent even to customers who opted out of non-essential messages.
    essential: bool = True
    # The customer gets an email (templates in notifications/templates/notifications/email/).
    email: bool = False
    sms: bool = False
    version: int = 1


EVENTS: dict[str, EventSpec] = {
    spec.name: spec
    for spec in [
        EventSpec("order.created", "An order was placed; stock is allocated, payment pending."),
        EventSpec(
            "order.confirmed",
            "Payment is secured and the order goes to the warehouses.",
            email=True,
        ),
        EventSpec(
            "order.updated",
            "The order changed: lines, quantities, address or shipping method, a replacement "
            "sent for it, or a message resent.",
        ),
        EventSpec(
            "order.cancelled",
            "The order was cancelled; stock released, money returned.",
            email=True,
        ),
        EventSpec("order.held", "The order was put on hold; fulfilment stops."),
        EventSpec("order.released", "A hold was lifted; fulfilment resumes."),
        EventSpec("order.shipped", "Every unit of the order has left the warehouses."),
        EventSpec("order.delivered", "Every shipment of the order was delivered."),
        EventSpec("payment.failed", "The payment was declined or the gateway failed."),
        EventSpec("payment.captured", "Money was captured for what shipped."),
        EventSpec("payment.refunded", "Money was refunded to the customer.", email=True),
        EventSpec("payment.voided", "The authorization was released; nothing was charged."),
        EventSpec("shipment.created", "A parcel was created at a warehouse."),
        EventSpec("shipment.updated", "A parcel moved through picking or packing."),
        EventSpec("shipment.shipped", "A parcel was handed to the carrier.", email=True),
        EventSpec("shipment.in_transit", "The carrier scanned the parcel on its way."),
        EventSpec(
            "shipment.scanned",
            "A carrier scan that did not change the parcel's status (a hub, a late scan).",
        ),
        EventSpec(
            "shipment.out_for_delivery",
            "The parcel is out for delivery today.",
            essential=False,
            email=True,
            sms=True,
        ),
        EventSpec("shipment.delivered", "The carrier delivered the parcel.", email=True),
        EventSpec(
            "shipment.exception", "The carrier reported a problem with the parcel.", email=True
        ),
        EventSpec(
            "shipment.delayed", "The parcel is late against its promise or has stalled.", email=True
        ),
        EventSpec("stock.adjusted", "Units on hand were adjusted, with a reason."),
        EventSpec(
            "order.payment_requested",
            "A rep placed an order for the customer, who pays through the emailed payment link.",
            email=True,
        ),
        EventSpec(
            "order.adjusted",
            "A rep adjusted a price on the order (with a reason code); totals were recomputed.",
        ),
        EventSpec(
            "store_credit.issued",
            "The customer received store credit (goodwill, or a refund taken as credit).",
            email=True,
        ),
        EventSpec(
            "approval.requested",
            "A rep asked a supervisor to approve an action above their authority.",
        ),
        EventSpec("approval.decided", "A supervisor approved or rejected a request."),
        EventSpec("case.opened", "A customer contact was recorded as a support case."),
        EventSpec("case.updated", "A support case changed: a note, a contact, a status."),
        EventSpec(
            "case.survey_requested",
            "A resolved case's satisfaction survey (1 to 5) went to the customer.",
            essential=False,
            email=True,
        ),
    ]
}


def spec_for(event_type: str) -> EventSpec:
    """The catalogue entry; an event missing from it still reaches webhooks and live streams."""
    return EVENTS.get(event_type) or EventSpec(event_type, "", essential=True)
