"""Returns API views, one per use case. They parse input, call one policy function, service or
selector and shape the output; the rules live in returns.policy and returns.services, so a return
created here gets the same answers as one from the portal or the console.

Returns belong to the store, not to the API client that created them (as orders do): any client
with returns:read reads every return; every write names the client that made it."""

import hashlib
import json
from decimal import Decimal

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import renderers, serializers, status
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from oms.actors import Actor
from oms.api.idempotency import HEADER, idempotent
from oms.exceptions import Conflict, ValidationFailed
from oms.models import Scope
from orders import selectors as order_selectors
from orders.models import TrackingEvent
from orders.money import DECIMAL_PLACES, MAX_DIGITS
from returns import labels, policy, selectors
from returns.api import inputs
from returns.api.inputs import ERRORS, IDEMPOTENCY_HEADER, PROBLEM, ReturnNotAcceptable
from returns.api.serializers import (
    EstimateOutput,
    OrderDecisionOutput,
    ReturnDetailOutput,
    ReturnSummaryOutput,
)
from returns.models import RequestedVia, Resolution, ReturnStatus
from returns.services import receiving, refunds, requests, transitions

REFUSED = {**ERRORS, 422: PROBLEM}

CREATE_EXAMPLE = OpenApiExample(
    "Return two units for a refund",
    value={
        "order": "100042",
        "resolution": "refund",
        "lines": [{"line_number": 1, "quantity": 2, "reason": "size_too_small"}],
        "note": "Customer called the store.",
    },
    request_only=True,
)
EXCHANGE_EXAMPLE = OpenApiExample(
    "Exchange one unit for another size",
    value={
        "order": "100042",
        "resolution": "exchange",
        "lines": [
            {"sku": "TEE-M", "quantity": 1, "reason": "size_too_small", "exchange_sku": "TEE-L"}
        ],
    },
    request_only=True,
)
WITHDRAWAL_EXAMPLE = OpenApiExample(
    "Statutory withdrawal (no reason needed)",
    value={
        "order": "100042",
        "resolution": "refund",
        "is_withdrawal": True,
        "lines": [{"line_number": 1, "quantity": 1}],
    },
    request_only=True,
)
REFUSAL_EXAMPLE = OpenApiExample(
    "The policy refuses a line",
    value={
        "type": "https://oms.dev/problems/return-not-returnable",
        "title": "The return cannot be accepted",
        "status": 422,
        "code": "return_not_returnable",
        "detail": "The return cannot be accepted.",
        "errors": [
            {
                "field": "lines.0.quantity",
                "code": "quantity_exceeds_returnable",
                "message": "Only 1 unit of this line can be returned.",
            }
        ],
    },
    response_only=True,
    status_codes=["422"],
)


def actor_for(request) -> Actor:
    return Actor.for_api_client(request.auth)


def idempotency_reference(request) -> str:
    """The service's retry reference: the client's Idempotency-Key, hashed to a fixed length
    (keys may be 255 characters; references hold 64 to 100)."""
    key = request.headers.get(HEADER, "").strip()
    return f"api:{request.auth.pk}:{hashlib.sha256(key.encode()).hexdigest()[:40]}"


def return_detail_response(request, rma: str, status_code: int = 200) -> Response:
    return Response(
        ReturnDetailOutput(selectors.get_return(rma), context={"request": request}).data,
        status=status_code,
    )


def refused(
    exc: ValidationFailed, *, lines: list[dict], id_field: str = "order_line_id"
) -> ReturnNotAcceptable:
    """A service's refusal, as a 422 whose errors point into the request body."""
    errors = inputs.api_errors(exc.errors, lines=lines, id_field=id_field)
    return ReturnNotAcceptable(exc.message, code=exc.code, errors=errors, extra=exc.extra)


class ReturnListCreateApi(GenericAPIView):
    required_scopes = {"GET": [Scope.RETURNS_READ], "POST": [Scope.RETURNS_WRITE]}

    class ReturnFilterInput(serializers.Serializer):
        status = serializers.ChoiceField(choices=ReturnStatus.choices, required=False)
        resolution = serializers.ChoiceField(choices=Resolution.choices, required=False)
        order = serializers.CharField(
            required=False, max_length=64, help_text="The order's number."
        )
        email = serializers.EmailField(required=False, help_text="The customer's email.")
        warehouse = serializers.CharField(
            required=False, max_length=16, help_text="The warehouse the parcel goes to."
        )
        created_after = serializers.DateTimeField(required=False)
        created_before = serializers.DateTimeField(required=False)

    class ReturnCreateInput(inputs.ReturnProposalInput):
        is_instant_exchange = serializers.BooleanField(
            default=False,
            help_text="Exchanges: ship the replacement now, secured by a payment hold.",
        )
        note = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")

    @extend_schema(
        operation_id="returns_list",
        parameters=[ReturnFilterInput],
        responses={200: ReturnSummaryOutput(many=True), 400: PROBLEM, 401: PROBLEM, 403: PROBLEM},
        summary="List returns, newest first (cursor pagination)",
    )
    def get(self, request):
        filters = self.ReturnFilterInput(data=request.query_params)
        filters.is_valid(raise_exception=True)
        values = filters.validated_data
        queryset = selectors.list_returns(
            status=values.get("status"),
            resolution=values.get("resolution"),
            warehouse_code=values.get("warehouse"),
            order_number=values.get("order"),
            email=values.get("email"),
            created_after=values.get("created_after"),
            created_before=values.get("created_before"),
        )
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(ReturnSummaryOutput(page, many=True).data)

    @extend_schema(
        operation_id="returns_create",
        parameters=[IDEMPOTENCY_HEADER],
        request=ReturnCreateInput,
        responses={
            201: ReturnDetailOutput,
            422: OpenApiResponse(
                PROBLEM, description="The policy refuses the return; `errors` says which line."
            ),
            **ERRORS,
        },
        examples=[CREATE_EXAMPLE, EXCHANGE_EXAMPLE, WITHDRAWAL_EXAMPLE, REFUSAL_EXAMPLE],
        summary="Create a return on the customer's behalf (same policy as the portal)",
        description="The return policy decides exactly as it does in the customer portal: the "
        "same windows, reasons, fees and statutory withdrawal. A return the policy accepts "
        "without review is approved at once (201, status `approved`); one that needs review "
        "waits in the console's queue (status `requested`). A refusal is a 422 problem whose "
        "`errors` point into the body (`lines.0.quantity`) and nothing is written. Check first "
        "with POST /returns/estimate/ and GET /orders/{number}/returns/eligibility/.",
    )
    @idempotent
    def post(self, request):
        data = self.ReturnCreateInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        order = order_selectors.get_order(values["order"])
        lines = inputs.requested_lines(order, values["lines"])
        try:
            return_request = requests.request_return(
                order=order,
                lines=lines,
                resolution=values["resolution"],
                actor=actor_for(request),
                via=RequestedVia.API,
                is_withdrawal=values["is_withdrawal"],
                is_instant_exchange=values["is_instant_exchange"],
                note=values["note"],
                idempotency_reference=idempotency_reference(request),
            )
        except ValidationFailed as exc:
            raise refused(exc, lines=values["lines"]) from exc
        return return_detail_response(request, return_request.rma, status.HTTP_201_CREATED)


class ReturnEstimateApi(APIView):
    required_scopes = {"POST": [Scope.RETURNS_READ]}

    @extend_schema(
        operation_id="returns_estimate",
        request=inputs.ReturnProposalInput,
        responses={200: EstimateOutput, 422: PROBLEM, **ERRORS},
        examples=[CREATE_EXAMPLE, EXCHANGE_EXAMPLE],
        summary="Estimate a proposed return without creating it",
        description="What the customer would get back (fees, return shipping, bonus, exchange "
        "difference) and whether the policy accepts it (`is_valid`, with `errors` pointing "
        "into the body when not). Nothing is written. Lines the order does not have are a 422.",
    )
    def post(self, request):
        data = inputs.ReturnProposalInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        order = order_selectors.get_order(values["order"])
        estimate = policy.estimate(
            order,
            inputs.requested_lines(order, values["lines"]),
            resolution=values["resolution"],
            is_withdrawal=values["is_withdrawal"],
        )
        output = EstimateOutput(estimate, context={"currency": estimate.currency}).data
        output["errors"] = inputs.api_errors(
            estimate.errors, lines=values["lines"], id_field="order_line_id"
        )
        return Response(output)


class OrderReturnEligibilityApi(APIView):
    required_scopes = {"GET": [Scope.RETURNS_READ]}

    @extend_schema(
        operation_id="orders_returns_eligibility",
        responses={200: OrderDecisionOutput, 401: PROBLEM, 403: PROBLEM, 404: PROBLEM},
        summary="What of an order can be returned now, and why (the policy's decision)",
        description="Per line: the returnable quantity, a stable code (returnable, final_sale, "
        "window_closed, not_delivered, fully_returned, …), a translated explanation "
        "(Accept-Language) and when the window ends; the resolutions and reasons offered; the "
        "statutory right of withdrawal where the customer's country has one. The portal and "
        "the console show the same answers.",
    )
    def get(self, request, number: str):
        order = order_selectors.get_order(number)
        decision = policy.evaluate_order(order)
        context = {"order": order, "currency": order.currency}
        return Response(OrderDecisionOutput(decision, context=context).data)


class ReturnDetailApi(APIView):
    required_scopes = {"GET": [Scope.RETURNS_READ]}

    @extend_schema(
        responses={200: ReturnDetailOutput, 401: PROBLEM, 403: PROBLEM, 404: PROBLEM},
        summary="A return with its lines, amounts, refunds, timeline and label",
    )
    def get(self, request, rma: str):
        return return_detail_response(request, rma)


class PdfRenderer(renderers.BaseRenderer):
    """Lets a client ask for the label with `Accept: application/pdf`; errors stay JSON."""

    media_type = "application/pdf"
    format = "pdf"
    charset = None
    render_style = "binary"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if isinstance(data, bytes):
            return data
        return json.dumps(data).encode()


class ReturnLabelApi(APIView):
    required_scopes = {"GET": [Scope.RETURNS_READ]}
    renderer_classes = [renderers.JSONRenderer, PdfRenderer]

    @extend_schema(
        operation_id="returns_label",
        responses={
            (200, "application/pdf"): OpenApiResponse(
                OpenApiTypes.BINARY,
                description="The printable label: the warehouse's address and a QR code "
                "carrying the RMA.",
            ),
            401: PROBLEM,
            403: PROBLEM,
            404: PROBLEM,
            409: PROBLEM,
        },
        summary="The return label (PDF)",
        description="While the parcel is expected (approved, in transit); otherwise 409.",
    )
    def get(self, request, rma: str):
        return_request = selectors.get_return(rma)
        if not return_request.has_label:
            raise Conflict(
                f"Return {return_request.rma} is {return_request.status}: it has no label "
                "(labels exist while the parcel is expected, never for a keep-it return).",
                code="return_has_no_label",
                extra={"current_status": return_request.status},
            )
        pdf = labels.render_label_pdf(return_request)
        response = HttpResponse(pdf, content_type="application/pdf")
        response["Content-Disposition"] = f'inline; filename="return-{return_request.rma}.pdf"'
        return response


class ReturnApproveApi(APIView):
    required_scopes = {"POST": [Scope.RETURNS_WRITE]}

    @extend_schema(
        request=inputs.ReturnOptionalReasonInput,
        responses={200: ReturnDetailOutput, **ERRORS},
        summary="Approve a return waiting for review",
        description="Approving an approved return again changes nothing.",
    )
    def post(self, request, rma: str):
        data = inputs.ReturnOptionalReasonInput(data=request.data)
        data.is_valid(raise_exception=True)
        transitions.approve_return(
            return_request=selectors.get_return(rma),
            actor=actor_for(request),
            reason=data.validated_data["reason"],
        )
        return return_detail_response(request, rma)


class ReturnRejectApi(APIView):
    required_scopes = {"POST": [Scope.RETURNS_WRITE]}

    @extend_schema(
        request=inputs.ReturnDecisionReasonInput,
        responses={200: ReturnDetailOutput, **ERRORS},
        summary="Reject a return waiting for review (the reason is sent to the customer)",
    )
    def post(self, request, rma: str):
        data = inputs.ReturnDecisionReasonInput(data=request.data)
        data.is_valid(raise_exception=True)
        transitions.reject_return(
            return_request=selectors.get_return(rma),
            actor=actor_for(request),
            reason=data.validated_data["reason"],
        )
        return return_detail_response(request, rma)


class ReturnCancelApi(APIView):
    required_scopes = {"POST": [Scope.RETURNS_WRITE]}

    @extend_schema(
        request=inputs.ReturnOptionalReasonInput,
        responses={200: ReturnDetailOutput, **ERRORS},
        summary="Cancel a return before its parcel ships",
    )
    def post(self, request, rma: str):
        data = inputs.ReturnOptionalReasonInput(data=request.data)
        data.is_valid(raise_exception=True)
        transitions.cancel_return(
            return_request=selectors.get_return(rma),
            actor=actor_for(request),
            reason=data.validated_data["reason"],
        )
        return return_detail_response(request, rma)


class ReturnReceiveApi(APIView):
    required_scopes = {"POST": [Scope.RETURNS_RECEIVE]}

    class ReturnReceiveInput(serializers.Serializer):
        lines = inputs.ReceiveLineInput(many=True, allow_empty=False, max_length=inputs.MAX_LINES)

    @extend_schema(
        request=ReturnReceiveInput,
        parameters=[IDEMPOTENCY_HEADER],
        responses={200: ReturnDetailOutput, **REFUSED},
        examples=[
            OpenApiExample(
                "Receive a parcel",
                value={
                    "lines": [
                        {"line_id": 12, "quantity": 2, "condition": "as_new"},
                        {"sku": "MUG-1", "quantity": 1, "condition": "damaged"},
                    ]
                },
                request_only=True,
            )
        ],
        summary="Record what arrived in the return parcel (a WMS), per line",
        description="Lines are the return's (`lines[].id`, or the SKU). Receiving may release "
        "the refund when the policy releases it on receipt.",
    )
    @idempotent
    def post(self, request, rma: str):
        data = self.ReturnReceiveInput(data=request.data)
        data.is_valid(raise_exception=True)
        return_request = selectors.get_return(rma)
        lines = data.validated_data["lines"]
        ids = inputs.return_line_ids(return_request, lines)
        try:
            receiving.receive_return(
                return_request=return_request,
                lines=[
                    (line_id, line["quantity"], line["condition"])
                    for line_id, line in zip(ids, lines, strict=True)
                ],
                actor=actor_for(request),
            )
        except ValidationFailed as exc:
            raise refused(exc, lines=lines, id_field="return_line_id") from exc
        return return_detail_response(request, rma)


class ReturnInspectApi(APIView):
    required_scopes = {"POST": [Scope.RETURNS_RECEIVE]}

    class ReturnInspectInput(serializers.Serializer):
        lines = inputs.InspectLineInput(many=True, allow_empty=False, max_length=inputs.MAX_LINES)

    @extend_schema(
        request=ReturnInspectInput,
        parameters=[IDEMPOTENCY_HEADER],
        responses={200: ReturnDetailOutput, **REFUSED},
        examples=[
            OpenApiExample(
                "Inspect a received parcel",
                value={"lines": [{"line_id": 12, "disposition": "restock"}]},
                request_only=True,
            )
        ],
        summary="Record the disposition of each received line (restock, damaged, scrap)",
        description="Restocked units return to the receiving warehouse's stock. Inspection may "
        "release the refund when the policy releases it after inspection.",
    )
    @idempotent
    def post(self, request, rma: str):
        data = self.ReturnInspectInput(data=request.data)
        data.is_valid(raise_exception=True)
        return_request = selectors.get_return(rma)
        lines = data.validated_data["lines"]
        ids = inputs.return_line_ids(return_request, lines)
        try:
            receiving.inspect_return(
                return_request=return_request,
                lines=[
                    (line_id, line["disposition"]) for line_id, line in zip(ids, lines, strict=True)
                ],
                actor=actor_for(request),
            )
        except ValidationFailed as exc:
            raise refused(exc, lines=lines, id_field="return_line_id") from exc
        return return_detail_response(request, rma)


class ReturnRefundApi(APIView):
    required_scopes = {"POST": [Scope.RETURNS_WRITE]}

    class ReturnRefundInput(serializers.Serializer):
        amount = serializers.DecimalField(
            max_digits=MAX_DIGITS,
            decimal_places=DECIMAL_PLACES,
            min_value=Decimal("0.01"),
            required=False,
            help_text="Omit to release what the policy allows now. Give an amount to refund "
            "it to the original payment whatever the return's progress (a reason is then "
            "required).",
        )
        reason = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")

        def validate(self, attrs):
            if "amount" in attrs and not attrs["reason"].strip():
                raise serializers.ValidationError(
                    {"reason": "Say why this amount is refunded."}, code="required"
                )
            return attrs

    @extend_schema(
        request=ReturnRefundInput,
        parameters=[IDEMPOTENCY_HEADER],
        responses={200: ReturnDetailOutput, 402: PROBLEM, 503: PROBLEM, **REFUSED},
        examples=[
            OpenApiExample("Release what the policy allows", value={}, request_only=True),
            OpenApiExample(
                "Refund an amount (goodwill, partial)",
                value={"amount": "30.00", "reason": "Customer kept the damaged item"},
                request_only=True,
            ),
        ],
        summary="Release the return's refund, store credit or exchange (or refund an amount)",
        description="Without `amount`: releases what the policy allows now (what was received, "
        "or what is on its way when the policy releases on the first scan, minus the policy's "
        "fees), never more than was captured; calling it again pays nothing twice. With "
        "`amount`: refunds that much to the original payment, never more than the order still "
        "holds nor more than the return has left (409). The money moved shows under `refunds`; "
        "the gateway refund follows right after.",
    )
    @idempotent
    def post(self, request, rma: str):
        data = self.ReturnRefundInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        return_request = selectors.get_return(rma)
        if "amount" in values:
            try:
                refunds.refund_return_amount(
                    return_request=return_request,
                    amount=values["amount"],
                    actor=actor_for(request),
                    reason=values["reason"].strip(),
                    idempotency_reference=idempotency_reference(request),
                )
            except ValidationFailed as exc:
                raise refused(exc, lines=[]) from exc
        else:
            refunds.release_refund(
                return_request=return_request,
                actor=actor_for(request),
                reason=values["reason"],
            )
        return return_detail_response(request, rma)


class ReturnTrackingEventCreateApi(APIView):
    """Carrier scans of return parcels, in the shape of /tracking-events/. The first scan puts
    the return in transit (and, if the policy says so, releases the refund)."""

    required_scopes = {"POST": [Scope.TRACKING_WRITE]}

    class ReturnScanInput(serializers.Serializer):
        carrier = serializers.CharField(max_length=32)
        tracking_number = serializers.CharField(
            max_length=64, help_text="The return parcel's tracking number (on the label)."
        )
        event_id = serializers.CharField(
            max_length=128, help_text="The carrier's id for this scan."
        )
        status = serializers.ChoiceField(choices=TrackingEvent.Status.choices)
        occurred_at = serializers.DateTimeField()
        location = serializers.CharField(
            max_length=128, required=False, allow_blank=True, default=""
        )
        description = serializers.CharField(
            max_length=255, required=False, allow_blank=True, default=""
        )

    @extend_schema(
        request=ReturnScanInput,
        responses={200: ReturnSummaryOutput, **ERRORS},
        summary="Post a carrier scan of a return parcel (idempotent by event_id)",
        description="An unknown tracking number is a 404 and nothing is stored. A repeated "
        "event_id changes nothing.",
    )
    def post(self, request):
        data = self.ReturnScanInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        return_request = receiving.record_return_scan(
            tracking_number=values["tracking_number"],
            status=values["status"],
            occurred_at=values["occurred_at"],
            actor=actor_for(request),
            carrier_event_id=values["event_id"],
            location=values["location"],
            description=values["description"],
        )
        return Response(ReturnSummaryOutput(selectors.get_return(return_request.rma)).data)
