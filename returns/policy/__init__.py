"""The return policy engine: one answer for the portal, the console and the API.

evaluate_order(order, *, at=None) -> OrderDecision
estimate(order, lines: list[RequestedLine], *, resolution, is_withdrawal=False,
         at=None) -> Estimate
active_policy() -> ReturnPolicy
"""

from returns.policy.types import (
    Estimate,
    LineDecision,
    LineEstimate,
    OrderDecision,
    ReasonOption,
    RequestedLine,
    WithdrawalRight,
)

__all__ = [
    "Estimate",
    "LineDecision",
    "LineEstimate",
    "OrderDecision",
    "ReasonOption",
    "RequestedLine",
    "WithdrawalRight",
]
