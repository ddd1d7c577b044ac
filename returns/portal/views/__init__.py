"""The portal's pages, one module per step: the lookup and the code (`start`), the order's return
form (`order`), the statutory withdrawal (`withdrawal`) and the return's status (`status`). Thin:
the rules live in returns.policy and returns.services."""

from returns.portal.views.order import estimate, exchange_variants, order_page
from returns.portal.views.start import access_link, start, verify
from returns.portal.views.status import (
    cancel,
    label,
    return_events,
    return_fragment,
    return_status,
)
from returns.portal.views.withdrawal import withdraw

__all__ = [
    "access_link",
    "cancel",
    "estimate",
    "exchange_variants",
    "label",
    "order_page",
    "return_events",
    "return_fragment",
    "return_status",
    "start",
    "verify",
    "withdraw",
]
