"""The referrals API: the storefront records, at checkout, that a new customer's order came
with a friend's code (POST /referrals/, Idempotency-Key, scope orders:write), and reads a
customer's own code and link to show them (GET /referrals/code/?email=, scope customers:read).
The rules (no self-referral, new customers only, once per customer) live in
feedback.services.referrals."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from feedback.api.review_serializers import ERRORS, PROBLEM
from feedback.services import referrals
from oms.actors import Actor
from oms.api.idempotency import idempotent
from oms.exceptions import NotFound
from oms.models import Scope
from orders import selectors as order_selectors
from orders.models import Customer

IDEMPOTENCY_HEADER = OpenApiParameter(
    "Idempotency-Key",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=True,
    description="A unique key per logical request; retries with the same key and body replay "
    "the first response.",
)


class ReferralInput(serializers.Serializer):
    code = serializers.CharField(max_length=32, help_text="The friend's referral code (?ref=).")
    order = serializers.CharField(max_length=20, help_text="The new customer's order number.")


class ReferralOutput(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField(source="code.code")
    order = serializers.CharField(source="first_order.number", allow_null=True)
    status = serializers.CharField()
    created_at = serializers.DateTimeField()


class ReferralCountsOutput(serializers.Serializer):
    pending = serializers.IntegerField()
    rewarded = serializers.IntegerField()
    void = serializers.IntegerField()


class ReferralCodeOutput(serializers.Serializer):
    code = serializers.CharField()
    url = serializers.URLField(help_text="The link to share: lands on the storefront with ?ref=.")
    referrals = ReferralCountsOutput(help_text="Friends this customer referred, by status.")


class ReferralCreateApi(APIView):
    required_scopes = {"POST": [Scope.ORDERS_WRITE]}

    @extend_schema(
        operation_id="referrals_create",
        parameters=[IDEMPOTENCY_HEADER],
        request=ReferralInput,
        responses={
            201: ReferralOutput,
            422: OpenApiResponse(
                PROBLEM,
                description="Refused: `self_referral` (the same person: customer, mailbox or "
                "shipping address), `not_a_new_customer` (ordered before), `order_cancelled`.",
            ),
            409: OpenApiResponse(PROBLEM, description="`already_referred` with another code."),
            **ERRORS,
        },
        examples=[
            OpenApiExample(
                "A new customer's first order with a friend's code",
                value={"code": "K7M2QX9P", "order": "100042"},
                request_only=True,
            )
        ],
        summary="Record that a new customer's first order came with a friend's code",
        description="Call at checkout, after the order is placed. Both get store credit when "
        "this first order is delivered (amounts per currency in the admin). One referral per "
        "customer: the same code and order again return the same referral; another code for an "
        "already referred customer is a 409 `already_referred`. An unknown code is a 404 "
        "`referral_code_not_found`. Nothing is written on a refusal.",
    )
    @idempotent
    def post(self, request):
        data = ReferralInput(data=request.data)
        data.is_valid(raise_exception=True)
        order = order_selectors.get_order(data.validated_data["order"])
        referral = referrals.record_referral(
            code=data.validated_data["code"],
            order=order,
            actor=Actor.for_api_client(request.auth),
        )
        return Response(ReferralOutput(referral).data, status=status.HTTP_201_CREATED)


class ReferralCodeApi(APIView):
    required_scopes = {"GET": [Scope.CUSTOMERS_READ]}

    class Query(serializers.Serializer):
        email = serializers.EmailField(help_text="The customer's email address.")

    @extend_schema(
        operation_id="referral_code_retrieve",
        parameters=[Query],
        responses={200: ReferralCodeOutput, **ERRORS},
        summary="A customer's own referral code and link",
        description="Made the first time it is asked for, then always the same. An unknown "
        "customer is a 404 `customer_not_found`.",
    )
    def get(self, request):
        query = self.Query(data=request.query_params)
        query.is_valid(raise_exception=True)
        customer_id = (
            Customer.objects.filter(email__iexact=query.validated_data["email"])
            .values_list("pk", flat=True)
            .first()
        )
        if customer_id is None:
            raise NotFound("No customer has this email address.", code="customer_not_found")
        return Response(ReferralCodeOutput(referrals.summary_for(customer_id)).data)
