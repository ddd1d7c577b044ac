"""Discretionary money actions from the console, and the approval queue they wait in.

The views call only these entry points. Each request first validates its input (bad input:
ValidationFailed, nothing created), then asks the authority matrix under the order's lock:
within the rep's authority it applies at once; above it, an ApprovalRequest holding the exact
parameters waits for a supervisor and no money moves. Approving applies exactly that payload,
once, with the approver named; nobody decides their own request (the database refuses it too);
the approver's own authority must cover it. Every step is on the order's timeline, emits its
event, and is linked to the support case it was taken from."""

from support.services.approvals.deciding import approve_request, reject_request, withdraw_request
from support.services.approvals.requesting import (
    Outcome,
    request_fee_waiver,
    request_goodwill,
    request_price_adjustment,
    request_reship,
)

__all__ = [
    "Outcome",
    "approve_request",
    "reject_request",
    "request_fee_waiver",
    "request_goodwill",
    "request_price_adjustment",
    "request_reship",
    "withdraw_request",
]
