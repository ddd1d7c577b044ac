"""What demo cases are about and how often: shares, reasons by the order's situation, what
customer and agent say, notes and survey comments."""

from support.models import Case

CASES_PER_ORDER = 0.2  # about 400 cases for the default 2,000 orders
OPEN_SHARE = 15 / 400  # about 15 cases still open
ORDERLESS_SHARE = 0.1  # product questions and the like, about no order
REPEAT_CONTACT_SHARE = 0.14  # needed a second (or third) contact on the same case
REPEAT_CASE_SHARE = 0.07  # the customer came back with a new case about the same order
SURVEY_SHARE = 0.45  # resolved cases whose survey was sent
ANSWER_SHARE = 0.4  # of the surveys sent
R = Case.Reason
CHANNELS = {"phone": 40, "email": 25, "chat": 25, "portal": 10}
# Reasons a contact about an order has, by what happened to the order (weights).
REASONS_BY_SITUATION: dict[str, dict[str, int]] = {
    "exception": {R.WHERE_IS_MY_ORDER: 5, R.DELAY: 4, R.MISSING_ITEM: 1},
    "late": {R.WHERE_IS_MY_ORDER: 6, R.DELAY: 5},
    "in_transit": {R.WHERE_IS_MY_ORDER: 6, R.DELAY: 2, R.CHANGE_ORDER: 1},
    "delivered": {
        R.DAMAGED: 5,
        R.WRONG_ITEM: 3,
        R.MISSING_ITEM: 3,
        R.RETURN_EXCHANGE: 7,
        R.WHERE_IS_MY_ORDER: 2,
        R.BILLING_REFUND: 2,
        R.PRODUCT_QUESTION: 2,
    },
    "unshipped": {R.CHANGE_ORDER: 4, R.WHERE_IS_MY_ORDER: 3, R.CANCEL: 2, R.BILLING_REFUND: 1},
    "held": {R.WHERE_IS_MY_ORDER: 3, R.CHANGE_ORDER: 2, R.BILLING_REFUND: 1},
    "pending_payment": {R.BILLING_REFUND: 3, R.CHANGE_ORDER: 1},
    "cancelled": {R.BILLING_REFUND: 3, R.CANCEL: 1},
}
# How likely an order in each situation is to bring a contact (relative).
CONTACT_WEIGHT = {
    "exception": 9,
    "late": 6,
    "in_transit": 1.2,
    "delivered": 1,
    "unshipped": 0.8,
    "held": 3,
    "pending_payment": 2,
    "cancelled": 1.5,
}
ORDERLESS_REASONS = {R.PRODUCT_QUESTION: 6, R.OTHER: 2, R.BILLING_REFUND: 1, R.RETURN_EXCHANGE: 1}
# (subject, note, resolution) per reason; {order} and {shipment} are filled in.
SCRIPTS: dict[str, list[tuple[str, str, str]]] = {
    R.WHERE_IS_MY_ORDER: [
        (
            "Where is order #{order}?",
            "Customer has not had a tracking update for a few days.",
            "Checked the carrier scans with the customer; parcel is moving, shared the link.",
        ),
        (
            "Tracking not updating for {shipment}",
            "Customer worried the parcel is lost.",
            "Carrier confirmed the parcel is at the local depot; delivery expected tomorrow.",
        ),
        (
            "Asked when #{order} will arrive",
            "",
            "Gave the estimated delivery date and resent the tracking email.",
        ),
    ],
    R.DELAY: [
        (
            "Parcel late against promised date",
            "Needed it for a trip this weekend.",
            "Apologised, opened a trace with the carrier and refunded the shipping fee.",
        ),
        (
            "Delivery attempted, customer was home",
            "Carrier reported a failed delivery attempt.",
            "Asked the carrier for redelivery; customer will pick it up if it fails again.",
        ),
    ],
    R.DAMAGED: [
        (
            "Item arrived damaged",
            "Box crushed; customer sent photos by email.",
            "Sent a replacement at no charge; no need to return the damaged item.",
        ),
        (
            "Seam torn on arrival",
            "",
            "Customer preferred a refund for the item; refund issued.",
        ),
    ],
    R.WRONG_ITEM: [
        (
            "Received the wrong size",
            "Ordered M, label says L.",
            "Exchange started with a prepaid return label; right size reserved.",
        ),
        (
            "Wrong colour delivered",
            "",
            "Customer keeps it with a goodwill credit.",
        ),
    ],
    R.MISSING_ITEM: [
        (
            "One item missing from the parcel",
            "Packing slip lists two items, one in the box.",
            "Second parcel was still on its way (split shipment); explained and shared tracking.",
        ),
        (
            "Parcel shows delivered, not received",
            "Checked with neighbours and reception.",
            "Waited 48 hours as per policy, then sent a replacement.",
        ),
    ],
    R.RETURN_EXCHANGE: [
        (
            "How do I return an item?",
            "",
            "Explained the returns portal and the 30-day window; customer started the return.",
        ),
        (
            "Exchange for a different size",
            "Customer wants the next size up.",
            "Exchange created; new size ships when the return is scanned.",
        ),
    ],
    R.CHANGE_ORDER: [
        (
            "Change the shipping address",
            "Customer moves next week.",
            "Updated the address before the parcel left the warehouse.",
        ),
        (
            "Add an item to #{order}",
            "",
            "Order not yet picked; added the item and charged the difference.",
        ),
    ],
    R.CANCEL: [
        (
            "Cancel order #{order}",
            "",
            "Cancelled at the customer's request; authorisation released.",
        ),
    ],
    R.BILLING_REFUND: [
        (
            "When will my refund arrive?",
            "",
            "Refund was issued; explained it takes 5-10 business days to show on the card.",
        ),
        (
            "Charged twice?",
            "Customer sees two lines on the card statement.",
            "One was the authorisation, released automatically; sent the explanation by email.",
        ),
        (
            "Payment link not working",
            "",
            "Resent the payment link; customer paid while on the phone.",
        ),
    ],
    R.PRODUCT_QUESTION: [
        (
            "Does the linen shirt shrink?",
            "",
            "Shared the care instructions: cold wash, no tumble dry.",
        ),
        (
            "Size advice for the chinos",
            "Customer between two sizes.",
            "Recommended the larger size; free exchange if it does not fit.",
        ),
    ],
    R.OTHER: [
        (
            "Wants to update their email address",
            "",
            "Explained how to update the account; nothing to change on orders.",
        ),
        (
            "Feedback about the website",
            "Checkout page slow on mobile.",
            "Thanked the customer and passed the feedback to the web team.",
        ),
    ],
}
REPEAT_NOTES = (
    "Customer called back for an update.",
    "Customer replied to our email with more details.",
    "Customer asked in chat whether there was any news.",
    "Customer called again: what we promised has not happened yet.",
)
CANCEL_ACTION = "Order cancelled from the case: {reason}"
SURVEY_COMMENTS = {
    5: ("Quick and friendly, thank you!", "Solved in one call.", ""),
    4: ("Good service.", "", "Took a while but sorted."),
    3: ("OK, but I had to explain twice.", ""),
    2: ("Too slow.", "I had to call again."),
    1: ("Still waiting for my parcel.", "Nobody called me back."),
}
