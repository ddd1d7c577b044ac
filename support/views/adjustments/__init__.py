"""Discretionary adjustments, goodwill credit, replacements, and the approval queue.

Thin views over support.services.approvals, which validates, asks the authority matrix and
either applies at once or queues a request. Each action panel previews first (POST `preview=1`:
the new totals, the money effect, and whether it applies at once or goes to approval and why),
then submits (POST `confirm=1`). Refusals re-render with the message and the service's status
(400 bad input, 403 not allowed, 409 state conflict); nothing changes."""

from django.urls import path

from support.views.adjustments.adjust import order_adjust
from support.views.adjustments.goodwill import order_goodwill
from support.views.adjustments.queue import approval_decide, approval_withdraw, approvals
from support.views.adjustments.reship import order_reship

urlpatterns = [
    path("orders/<str:number>/adjust/", order_adjust, name="order-adjust"),
    path("orders/<str:number>/goodwill/", order_goodwill, name="order-goodwill"),
    path("orders/<str:number>/reship/", order_reship, name="order-reship"),
    path("approvals/", approvals, name="approvals"),
    path("approvals/<int:request_id>/decide/", approval_decide, name="approval-decide"),
    path("approvals/<int:request_id>/withdraw/", approval_withdraw, name="approval-withdraw"),
]
