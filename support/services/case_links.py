"""Links console actions to the support case the rep is working on, so a case shows everything
done about it and contact metrics can follow the money and the parcels."""

from typing import Any

from oms.actors import Actor
from orders.models import Order
from support.models import Case, CaseEvent


def record_action(
    *,
    case: Case | None,
    actor: Actor,
    action: str,
    summary: str,
    order: Order | None = None,
    data: dict[str, Any] | None = None,
) -> CaseEvent | None:
    """Note on `case` (if any) that `action` was taken. Call inside the action's transaction,
    so the note exists exactly when the action does. A case without an order adopts this one."""
    if case is None:
        return None
    if order is not None and case.order_id is None:
        Case.objects.filter(pk=case.pk, order__isnull=True).update(order=order)
    return CaseEvent.objects.create(
        case=case,
        type=CaseEvent.Type.ACTION,
        text=summary[:2000],
        order=order,
        data={"action": action, **(data or {})},
        **actor.as_fields(),
    )
