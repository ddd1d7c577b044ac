"""Returns in the console: the queue, one return's page with its actions (approve, reject,
cancel, release, a staff refund, link to the active case), customers' photos served after the
console check, the warehouse's receive and inspect station, and creating a return for a
customer from the order page.

Thin views over returns.services and returns.policy; reads in support.selectors.returns. The
station's path comes before the return page's so `returns/receive/` is not an RMA."""

from django.urls import path

from support.views.returns.create import order_return_new
from support.views.returns.detail import return_detail, return_link_case, return_photo
from support.views.returns.queue import returns_queue
from support.views.returns.receive import inspect_lines, receive_lines, receive_station
from support.views.returns.review import (
    return_approve,
    return_cancel,
    return_refund,
    return_reject,
    return_release,
)

urlpatterns = [
    path("returns/", returns_queue, name="returns"),
    path("returns/receive/", receive_station, name="returns-receive"),
    path("returns/<str:rma>/", return_detail, name="return-detail"),
    path("returns/<str:rma>/photos/<int:photo_id>/", return_photo, name="return-photo"),
    path("returns/<str:rma>/approve/", return_approve, name="return-approve"),
    path("returns/<str:rma>/reject/", return_reject, name="return-reject"),
    path("returns/<str:rma>/cancel/", return_cancel, name="return-cancel"),
    path("returns/<str:rma>/release/", return_release, name="return-release"),
    path("returns/<str:rma>/refund/", return_refund, name="return-refund"),
    path("returns/<str:rma>/case/", return_link_case, name="return-link-case"),
    path("returns/<str:rma>/receive/", receive_lines, name="return-receive"),
    path("returns/<str:rma>/inspect/", inspect_lines, name="return-inspect"),
    path("orders/<str:number>/return/", order_return_new, name="order-return"),
]
