"""RMA numbers and return tracking numbers.

An RMA is the order number and the return's place among the order's returns ("R100042-2"):
short enough to read over the phone, and written under the order lock, so two returns of one
order never get the same number (the unique index would refuse it anyway). Portal access is by
signed link, never by RMA, so a sequential RMA reveals nothing. The tracking number is the
return carrier's parcel id printed on the label; it is random so nobody can guess another
customer's parcel from their own."""

import secrets

from orders.models import Order
from returns.models import ReturnRequest

# The carrier every prepaid return label goes with (the label names it; scans come back with it).
RETURN_CARRIER = "returns-post"
TRACKING_PREFIX = "RP"


def next_rma(order: Order) -> str:
    """The next RMA for `order`. The caller holds the order lock."""
    count = ReturnRequest.objects.filter(order_id=order.pk).count()
    return f"R{order.number}-{count + 1}"


def new_tracking_number() -> str:
    """A fresh return tracking number ("RP" and 12 digits), unused so far."""
    while True:
        number = f"{TRACKING_PREFIX}{secrets.randbelow(10**12):012d}"
        if not ReturnRequest.objects.filter(tracking_number=number).exists():
            return number
