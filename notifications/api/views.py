"""Webhook API views, one per use case: an API client manages its own endpoints, reads their
deliveries with every attempt, and replays a delivery. Rules live in
notifications.services.webhooks; another client's endpoint or delivery is "not found"."""

from datetime import timedelta

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from notifications import selectors
from notifications.api.serializers import (
    ERRORS,
    PROBLEM,
    WebhookDeliveryOutput,
    WebhookEndpointOutput,
    WebhookEndpointSecretOutput,
)
from notifications.models import Delivery
from notifications.services import webhooks as services
from oms.actors import Actor
from oms.api.idempotency import idempotent
from oms.models import Scope

IDEMPOTENCY_HEADER = OpenApiParameter(
    "Idempotency-Key",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=True,
    description="A unique key per logical request; retries with the same key and body replay "
    "the first response.",
)
MANAGE = [Scope.WEBHOOKS_MANAGE]
EVENT_TYPES_HELP = (
    'Event types ("order.cancelled") or prefixes ("order.*") from the event catalogue; '
    "empty or omitted: every event."
)


def event_types_input(**kwargs) -> serializers.ListField:
    return serializers.ListField(
        child=serializers.CharField(max_length=64),
        max_length=services.MAX_EVENT_TYPES,
        help_text=EVENT_TYPES_HELP,
        **kwargs,
    )


class WebhookEndpointListCreateApi(GenericAPIView):
    required_scopes = {"GET": MANAGE, "POST": MANAGE}

    class EndpointCreateInput(serializers.Serializer):
        url = serializers.URLField(max_length=500)
        event_types = event_types_input(required=False, default=list)
        description = serializers.CharField(
            max_length=200, required=False, allow_blank=True, default=""
        )

    @extend_schema(
        operation_id="webhook_endpoints_list",
        responses={200: WebhookEndpointOutput(many=True)},
        summary="The calling client's webhook endpoints, newest first (cursor pagination)",
    )
    def get(self, request):
        page = self.paginate_queryset(selectors.list_endpoints(request.auth))
        return self.get_paginated_response(WebhookEndpointOutput(page, many=True).data)

    @extend_schema(
        operation_id="webhook_endpoints_create",
        parameters=[IDEMPOTENCY_HEADER],
        request=EndpointCreateInput,
        responses={201: WebhookEndpointSecretOutput, 422: PROBLEM, **ERRORS},
        summary="Register a URL for signed event notifications (the secret is shown once)",
        description="Deliveries follow Standard Webhooks: `webhook-id` (the event's id, the same "
        "on every retry), `webhook-timestamp` and `webhook-signature` (`v1,<base64 HMAC-SHA256 "
        "of id.timestamp.body>`). Failed deliveries are retried with exponential backoff for "
        "more than 72 hours. An endpoint answering 410 Gone, or failing for 72 hours, is "
        "disabled. Targets on private or loopback networks are refused.",
    )
    @idempotent
    def post(self, request):
        data = self.EndpointCreateInput(data=request.data)
        data.is_valid(raise_exception=True)
        endpoint = services.create_endpoint(owner=request.auth, **data.validated_data)
        return Response(WebhookEndpointSecretOutput(endpoint).data, status=status.HTTP_201_CREATED)


class WebhookEndpointDetailApi(APIView):
    required_scopes = {"GET": MANAGE, "PATCH": MANAGE, "DELETE": MANAGE}

    class EndpointUpdateInput(serializers.Serializer):
        url = serializers.URLField(max_length=500, required=False)
        event_types = event_types_input(required=False)
        description = serializers.CharField(max_length=200, required=False, allow_blank=True)
        is_active = serializers.BooleanField(
            required=False,
            help_text="false disables the endpoint; true enables it again (after a 410 or a "
            "failure streak, once it answers 2xx).",
        )

    @extend_schema(
        operation_id="webhook_endpoints_retrieve",
        responses={200: WebhookEndpointOutput, 404: PROBLEM},
        summary="A webhook endpoint",
    )
    def get(self, request, endpoint_id: int):
        endpoint = selectors.get_endpoint(request.auth, endpoint_id)
        return Response(WebhookEndpointOutput(endpoint).data)

    @extend_schema(
        operation_id="webhook_endpoints_update",
        request=EndpointUpdateInput,
        responses={200: WebhookEndpointOutput, **ERRORS},
        summary="Change an endpoint's URL, event types or description; disable or enable it",
    )
    def patch(self, request, endpoint_id: int):
        endpoint = selectors.get_endpoint(request.auth, endpoint_id)
        data = self.EndpointUpdateInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        is_active = values.pop("is_active", None)
        if values:
            endpoint = services.update_endpoint(endpoint=endpoint, **values)
        if is_active is True:
            endpoint = services.enable_endpoint(endpoint=endpoint)
        elif is_active is False:
            endpoint = services.disable_endpoint(
                endpoint=endpoint, reason=f"Disabled by API client {request.auth.name}."
            )
        return Response(WebhookEndpointOutput(endpoint).data)

    @extend_schema(
        operation_id="webhook_endpoints_destroy",
        responses={204: None, 404: PROBLEM},
        summary="Delete an endpoint with its deliveries and attempt log",
    )
    def delete(self, request, endpoint_id: int):
        services.delete_endpoint(endpoint=selectors.get_endpoint(request.auth, endpoint_id))
        return Response(status=status.HTTP_204_NO_CONTENT)


class WebhookEndpointRotateSecretApi(APIView):
    required_scopes = {"POST": MANAGE}

    class SecretRotateInput(serializers.Serializer):
        overlap_hours = serializers.IntegerField(
            min_value=0,
            max_value=int(services.MAX_ROTATION_OVERLAP.total_seconds() // 3600),
            default=int(services.DEFAULT_ROTATION_OVERLAP.total_seconds() // 3600),
            help_text="How long the previous secret keeps signing too (a second signature).",
        )

    @extend_schema(
        operation_id="webhook_endpoints_rotate_secret",
        parameters=[IDEMPOTENCY_HEADER],
        request=SecretRotateInput,
        responses={200: WebhookEndpointSecretOutput, 422: PROBLEM, **ERRORS},
        summary="Replace the signing secret; the old one keeps signing during the overlap",
    )
    @idempotent
    def post(self, request, endpoint_id: int):
        endpoint = selectors.get_endpoint(request.auth, endpoint_id)
        data = self.SecretRotateInput(data=request.data)
        data.is_valid(raise_exception=True)
        services.rotate_secret(
            endpoint=endpoint, overlap=timedelta(hours=data.validated_data["overlap_hours"])
        )
        endpoint.refresh_from_db()
        return Response(WebhookEndpointSecretOutput(endpoint).data)


class WebhookEndpointDeliveryListApi(GenericAPIView):
    required_scopes = {"GET": MANAGE}

    class DeliveryFilterInput(serializers.Serializer):
        status = serializers.ChoiceField(choices=Delivery.Status.choices, required=False)
        event_type = serializers.CharField(max_length=64, required=False)

    @extend_schema(
        operation_id="webhook_endpoint_deliveries_list",
        parameters=[DeliveryFilterInput],
        responses={200: WebhookDeliveryOutput(many=True), 400: PROBLEM, 404: PROBLEM},
        summary="An endpoint's deliveries with every attempt, newest first (cursor pagination)",
    )
    def get(self, request, endpoint_id: int):
        endpoint = selectors.get_endpoint(request.auth, endpoint_id)
        filters = self.DeliveryFilterInput(data=request.query_params)
        filters.is_valid(raise_exception=True)
        page = self.paginate_queryset(
            selectors.list_endpoint_deliveries(endpoint).filter(**filters.validated_data)
        )
        return self.get_paginated_response(WebhookDeliveryOutput(page, many=True).data)


class WebhookDeliveryReplayApi(APIView):
    required_scopes = {"POST": MANAGE}

    @extend_schema(
        operation_id="webhook_deliveries_replay",
        request=None,
        responses={200: WebhookDeliveryOutput, **ERRORS},
        summary="Send a delivery again now, with the same webhook-id",
        description="Works whatever the delivery's status, including one that gave up. The "
        "answer carries the new attempt. The endpoint must be enabled.",
    )
    def post(self, request, delivery_id: int):
        delivery = services.replay_delivery(
            delivery=selectors.get_delivery(request.auth, delivery_id),
            actor=Actor.for_api_client(request.auth),
        )
        delivery = selectors.list_endpoint_deliveries(delivery.endpoint).get(pk=delivery.pk)
        return Response(WebhookDeliveryOutput(delivery).data)
