"""Returns models, one module per area; import them from here."""

from returns.models.policy import (
    RefundRelease,
    Resolution,
    ReturnPolicy,
    ReturnReason,
    ReturnReasonRule,
    ReturnWindowOverride,
    ShippingPayer,
)
from returns.models.portal import PortalAccessCode, PortalAttempt
from returns.models.returns import (
    Disposition,
    ItemCondition,
    RequestedVia,
    ReturnEvent,
    ReturnLine,
    ReturnPhoto,
    ReturnRefund,
    ReturnRequest,
    ReturnStatus,
)
from returns.models.store_credit import StoreCreditEntry

__all__ = [
    "Disposition",
    "ItemCondition",
    "PortalAccessCode",
    "PortalAttempt",
    "RefundRelease",
    "RequestedVia",
    "Resolution",
    "ReturnEvent",
    "ReturnLine",
    "ReturnPhoto",
    "ReturnPolicy",
    "ReturnReason",
    "ReturnReasonRule",
    "ReturnRefund",
    "ReturnRequest",
    "ReturnStatus",
    "ReturnWindowOverride",
    "ShippingPayer",
    "StoreCreditEntry",
]
