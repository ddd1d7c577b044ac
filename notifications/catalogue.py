"""The event catalogue: every event the system emits, its payload version, and who hears of it.

docs/events.md is generated from this list (`make events-doc`) and checked by a test.
"""

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

# Non-essential messages come in topics the customer turns on or off one by one in the
# preference centre (ContactPreference.opted_out_topics); "no non-essential messages at all"
# is ContactPreference.wants_non_essential. Transactional messages have no topic.
TOPICS: dict[str, object] = {
    "delivery_updates": _("Delivery-day updates (out for delivery)"),
    "feedback_requests": _("Requests for reviews and short surveys"),
    "recommendations": _("Product recommendations in our emails"),
    "replenishment": _("Reminders to reorder products you run out of"),
}


@dataclass(frozen=True)
class EventSpec:
    name: str
    description: str
    # Transactional: sent even to customers who opted out of non-essential messages.
    essential: bool = True
    # The customer gets an email (templates in notifications/templates/notifications/email/).
    email: bool = False
    sms: bool = False
    # Integrators' endpoints and the live streams (staff console, the customer's pages) hear of
    # it. Off for messages that carry a secret meant for the customer's inbox alone.
    webhook: bool = True
    live: bool = True
    # A rep may email a copy to another address ("I never got it"). Off for secrets: a copy
    # of an access code sent elsewhere would open the customer's order to someone else.
    resendable: bool = True
    # The preference-centre topic of a non-essential message (a key of TOPICS).
    topic: str = ""
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
            topic="delivery_updates",
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
            topic="feedback_requests",
            email=True,
        ),
        # Returns. Every customer email about a return is essential: each one answers a
        # request the customer made, or tells them where their goods and their money are (and
        # the withdrawal acknowledgement is a legal duty); none is marketing to opt out of.
        EventSpec(
            "return.requested",
            "A return was requested (portal, console or API); it waits for review unless the "
            "policy approves it at once.",
            email=True,
        ),
        EventSpec(
            "return.approved",
            "A return was approved: the customer gets the RMA and the link to the return label.",
            email=True,
        ),
        EventSpec("return.rejected", "A return was rejected, with the reason.", email=True),
        EventSpec(
            "return.cancelled",
            "A return was cancelled (by the customer or a rep) before it shipped.",
            email=True,
        ),
        EventSpec(
            "return.expired",
            "An approved return was not shipped in time; its label no longer works.",
            email=True,
        ),
        EventSpec("return.in_transit", "The carrier scanned the return parcel on its way back."),
        EventSpec(
            "return.received",
            "The warehouse received the return (quantity and condition per line).",
            email=True,
        ),
        EventSpec(
            "return.inspected",
            "The warehouse inspected the returned units (restock, damaged or scrap).",
        ),
        EventSpec(
            "return.refunded",
            "Money for the return went back to the original payment method.",
            email=True,
        ),
        EventSpec(
            "return.credited",
            "The return was settled as store credit (with any bonus).",
            email=True,
        ),
        EventSpec(
            "return.exchanged",
            "The replacement order for an exchange was placed.",
            email=True,
        ),
        EventSpec("return.closed", "The return is complete; nothing more happens to it."),
        EventSpec(
            "return.withdrawal_acknowledged",
            "A statutory withdrawal was received; the customer gets a timestamped "
            "acknowledgement (EU directive 2011/83/EU art. 11(3)).",
            email=True,
        ),
        EventSpec(
            "return.access_code",
            "The returns portal's one-time code and signed link, for the order's email only. "
            "Never sent to webhooks or live streams.",
            email=True,
            webhook=False,
            live=False,
            resendable=False,
        ),
        # Early warning (insights). The disruption notice is essential: a service message about
        # the customer's own order in progress, telling them it will be late and why before
        # they have to ask (as shipment.delayed does for one parcel), not marketing. Alerts
        # are for staff and integrators: no customer hears of them.
        EventSpec(
            "order.disruption_notice",
            "A supervisor told the customer that a disruption at the order's carrier or "
            "warehouse will delay it (from an early-warning alert); once per order and alert.",
            email=True,
        ),
        EventSpec(
            "insights.alert_raised",
            "Early warning: a warehouse's or carrier's contact or delay rate is clearly above "
            "its own recent baseline; with the reasons driving it and the open orders and "
            "shipments exposed. No customer email.",
        ),
        EventSpec(
            "insights.alert_resolved",
            "An early-warning alert's rate has been back near its baseline for 12 hours.",
        ),
        # Feedback. Requests and reminders are non-essential, each under its topic; the links
        # they carry are added at rendering time (feedback registers a context provider), so
        # the payloads hold no secret.
        EventSpec(
            "feedback.review_requested",
            "After delivery (a delay per product category), the customer was asked to review "
            "the products and answer a one-question NPS survey; once per order.",
            essential=False,
            email=True,
            topic="feedback_requests",
            webhook=False,
        ),
        EventSpec(
            "feedback.return_survey_requested",
            "After a return closed, the customer was asked to rate the return experience (1 "
            "to 5); once per return.",
            essential=False,
            email=True,
            topic="feedback_requests",
            webhook=False,
        ),
        EventSpec(
            "feedback.survey_answered",
            "A customer answered a survey (NPS 0-10, or the return experience 1-5), with an "
            "optional comment.",
        ),
        EventSpec(
            "review.submitted",
            "A buyer wrote a product review; it waits in the console's moderation queue.",
        ),
        EventSpec(
            "review.published",
            "A moderator published a review: the storefront shows it (with the product's new "
            "rating aggregate and the store's reply, if any).",
        ),
        EventSpec(
            "review.rejected",
            "A moderator rejected a review, with a reason code; the storefront never shows it.",
        ),
        EventSpec(
            "replenishment.reminder",
            "A consumable the customer bought should be running out: a reminder to reorder.",
            essential=False,
            email=True,
            topic="replenishment",
            webhook=False,
        ),
        EventSpec(
            "referral.rewarded",
            "A referred friend's first order was delivered: both the referrer and the friend "
            "received store credit (one message for each).",
            email=True,
        ),
    ]
}


def spec_for(event_type: str) -> EventSpec:
    """The catalogue entry; an event missing from it still reaches webhooks and live streams."""
    return EVENTS.get(event_type) or EventSpec(event_type, "", essential=True)
