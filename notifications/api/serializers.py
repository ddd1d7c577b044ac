"""Output serializers for webhook endpoints, deliveries and their attempts. Read-only shapes that
read only what the reads prefetched."""

from drf_spectacular.drainage import set_override
from drf_spectacular.utils import inline_serializer
from rest_framework import serializers

from notifications.models import Delivery, WebhookAttempt, WebhookEndpoint

# The problem details shape (RFC 9457) that oms.api.problems writes. The order API declares the
# same "Problem" component; the app may not import it (import-linter), so both declare it and
# the schema keeps one, which is why the name-collision warning is silenced.
PROBLEM = inline_serializer(
    "Problem",
    {
        "type": serializers.CharField(),
        "title": serializers.CharField(),
        "status": serializers.IntegerField(),
        "code": serializers.CharField(),
        "detail": serializers.CharField(),
        "errors": serializers.ListField(child=serializers.DictField(), required=False),
    },
)
set_override(type(PROBLEM), "suppress_collision_warning", True)
ERRORS = {400: PROBLEM, 401: PROBLEM, 403: PROBLEM, 404: PROBLEM, 409: PROBLEM}


class WebhookEndpointOutput(serializers.ModelSerializer):
    class Meta:
        model = WebhookEndpoint
        fields = [
            "id",
            "url",
            "description",
            "event_types",
            "is_active",
            "disabled_reason",
            "disabled_at",
            "failing_since",
            "previous_secret_expires_at",
            "created_at",
        ]
        extra_kwargs = {
            "event_types": {
                "help_text": 'Event types ("order.cancelled") or prefixes ("order.*"); '
                "empty: every event."
            },
            "previous_secret_expires_at": {
                "help_text": "After a rotation, the previous secret also signs until then."
            },
        }


class WebhookEndpointSecretOutput(WebhookEndpointOutput):
    """The endpoint with its signing secret: only in the answer to a creation or a rotation."""

    class Meta(WebhookEndpointOutput.Meta):
        fields = [*WebhookEndpointOutput.Meta.fields, "secret"]
        extra_kwargs = {
            **WebhookEndpointOutput.Meta.extra_kwargs,
            "secret": {
                "help_text": "Standard Webhooks secret (whsec_…). Shown once: store it now."
            },
        }


class WebhookAttemptOutput(serializers.ModelSerializer):
    class Meta:
        model = WebhookAttempt
        fields = [
            "id",
            "status_code",
            "latency_ms",
            "error",
            "response_excerpt",
            "is_manual_replay",
            "created_at",
        ]


class WebhookDeliveryOutput(serializers.ModelSerializer):
    webhook_id = serializers.UUIDField(
        source="message_id",
        read_only=True,
        help_text="The webhook-id header: the same on every retry and replay.",
    )
    endpoint_id = serializers.IntegerField(read_only=True)
    attempt_log = WebhookAttemptOutput(source="attempts_log", many=True, read_only=True)

    class Meta:
        model = Delivery
        fields = [
            "id",
            "webhook_id",
            "endpoint_id",
            "event_type",
            "aggregate_type",
            "aggregate_id",
            "status",
            "attempts",
            "next_attempt_at",
            "last_error",
            "sent_at",
            "created_at",
            "attempt_log",
        ]
