"""The returns REST API, mounted at /api/v1/ (returns.api.views)."""

from django.urls import path, register_converter

from returns.api import views


class CodeConverter:
    """RMA and order numbers: printable codes only (no NUL or slashes)."""

    regex = r"[A-Za-z0-9._-]{1,64}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(CodeConverter, "ref")

urlpatterns = [
    path("returns/", views.ReturnListCreateApi.as_view(), name="api-returns"),
    # Before returns/<rma>/: "estimate" is not an RMA.
    path("returns/estimate/", views.ReturnEstimateApi.as_view(), name="api-return-estimate"),
    path("returns/<ref:rma>/", views.ReturnDetailApi.as_view(), name="api-return"),
    path("returns/<ref:rma>/label.pdf", views.ReturnLabelApi.as_view(), name="api-return-label"),
    path("returns/<ref:rma>/approve/", views.ReturnApproveApi.as_view(), name="api-return-approve"),
    path("returns/<ref:rma>/reject/", views.ReturnRejectApi.as_view(), name="api-return-reject"),
    path("returns/<ref:rma>/cancel/", views.ReturnCancelApi.as_view(), name="api-return-cancel"),
    path("returns/<ref:rma>/receive/", views.ReturnReceiveApi.as_view(), name="api-return-receive"),
    path("returns/<ref:rma>/inspect/", views.ReturnInspectApi.as_view(), name="api-return-inspect"),
    path("returns/<ref:rma>/refund/", views.ReturnRefundApi.as_view(), name="api-return-refund"),
    path(
        "orders/<ref:number>/returns/eligibility/",
        views.OrderReturnEligibilityApi.as_view(),
        name="api-order-return-eligibility",
    ),
    path(
        "return-tracking-events/",
        views.ReturnTrackingEventCreateApi.as_view(),
        name="api-return-tracking-events",
    ),
]
