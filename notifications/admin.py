"""Admin for the notifications app: webhook endpoints (rotate, disable, enable), deliveries with
their attempts (replay), and read-only views of the outbox, live log, dead letters and contact
preferences. Every change goes through notifications.services."""

from django import forms
from django.contrib import admin, messages
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from notifications.models import (
    ContactPreference,
    DeadLetter,
    Delivery,
    LiveEvent,
    OutboxMessage,
    WebhookAttempt,
    WebhookEndpoint,
)
from notifications.services import webhooks as webhook_services
from oms.actors import Actor
from oms.exceptions import DomainError, ValidationFailed

MAX_REPLAYS_AT_ONCE = 20  # each replay is an HTTP request made while the admin page waits


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(OutboxMessage)
class OutboxMessageAdmin(admin.ModelAdmin):
    list_display = ["event_type", "aggregate_type", "aggregate_id", "created_at", "dispatched_at"]
    list_filter = ["event_type", "aggregate_type"]
    search_fields = ["aggregate_id"]
    readonly_fields = [f.name for f in OutboxMessage._meta.fields]


class WebhookEndpointForm(forms.ModelForm):
    """Checks the URL (SSRF guard) and the event types with the services' own rules."""

    class Meta:
        model = WebhookEndpoint
        fields = ["owner", "url", "description", "event_types"]

    def clean(self):
        cleaned = super().clean()
        event_types = cleaned.get("event_types") or []
        if not isinstance(event_types, list) or not all(isinstance(e, str) for e in event_types):
            self.add_error("event_types", _('A list of event types, e.g. ["order.*"].'))
            return cleaned
        try:
            if cleaned.get("url"):
                cleaned["url"] = webhook_services.clean_url(cleaned["url"])
            cleaned["event_types"] = webhook_services.clean_event_types(event_types)
        except ValidationFailed as exc:
            for error in exc.errors or [{"field": None, "message": exc.message}]:
                field = (error["field"] or "").split(".")[0] or None
                self.add_error(field if field in self.fields else None, error["message"])
        return cleaned


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    form = WebhookEndpointForm
    list_display = ["url", "owner", "is_active", "failing_since", "disabled_reason", "created_at"]
    list_filter = ["is_active"]
    list_select_related = ["owner"]
    search_fields = ["url", "description"]
    readonly_fields = [
        "is_active",
        "disabled_reason",
        "disabled_at",
        "failing_since",
        "previous_secret_expires_at",
        "created_at",
    ]
    actions = ["rotate_secret", "disable", "enable"]

    def get_readonly_fields(self, request, obj=None):
        # An endpoint stays with the API client it was made for.
        return [*self.readonly_fields, "owner"] if obj is not None else self.readonly_fields

    def save_model(self, request, obj, form, change):
        values = {
            "url": form.cleaned_data["url"],
            "event_types": form.cleaned_data["event_types"],
            "description": form.cleaned_data["description"],
        }
        if change:
            webhook_services.update_endpoint(endpoint=obj, **values)
            return
        endpoint = webhook_services.create_endpoint(owner=obj.owner, **values)
        obj.pk, obj.secret, obj.created_at = endpoint.pk, endpoint.secret, endpoint.created_at
        messages.warning(
            request,
            _("Signing secret for %(url)s (shown once, give it to the receiver): %(secret)s")
            % {"url": endpoint.url, "secret": endpoint.secret},
        )

    @admin.action(
        description=gettext_lazy("Rotate the secret (the old one signs too for 24 hours)")
    )
    def rotate_secret(self, request, queryset):
        for endpoint in queryset:
            secret = webhook_services.rotate_secret(endpoint=endpoint)
            messages.warning(
                request,
                _("New secret for %(url)s (shown once): %(secret)s")
                % {"url": endpoint.url, "secret": secret},
            )

    @admin.action(description=gettext_lazy("Disable (stop sending)"))
    def disable(self, request, queryset):
        reason = f"Disabled by {request.user.get_username()} in the admin."  # stored, English
        for endpoint in queryset:
            webhook_services.disable_endpoint(endpoint=endpoint, reason=reason)
        messages.success(request, _("%(count)d endpoint(s) disabled.") % {"count": len(queryset)})

    @admin.action(description=gettext_lazy("Enable (send again)"))
    def enable(self, request, queryset):
        for endpoint in queryset:
            webhook_services.enable_endpoint(endpoint=endpoint)
        messages.success(request, _("%(count)d endpoint(s) enabled.") % {"count": len(queryset)})


class WebhookAttemptInline(admin.TabularInline):
    model = WebhookAttempt
    fields = [
        "created_at",
        "status_code",
        "latency_ms",
        "error",
        "response_excerpt",
        "is_manual_replay",
    ]
    readonly_fields = fields
    extra = 0
    can_delete = False
    ordering = ["-created_at", "-pk"]

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Delivery)
class DeliveryAdmin(ReadOnlyAdmin):
    list_display = [
        "pk",
        "event_type",
        "channel",
        "target",
        "status",
        "attempts",
        "next_attempt_at",
        "sent_at",
        "created_at",
    ]
    list_filter = ["status", "channel", "event_type"]
    search_fields = ["aggregate_id", "target", "message__id"]
    readonly_fields = [f.name for f in Delivery._meta.fields]
    inlines = [WebhookAttemptInline]
    actions = ["replay"]

    def has_replay_permission(self, request) -> bool:
        return request.user.has_perm("notifications.change_delivery")

    @admin.action(
        description=gettext_lazy("Replay now (webhooks; same webhook-id)"), permissions=["replay"]
    )
    def replay(self, request, queryset):
        webhook_deliveries = queryset.filter(channel=Delivery.Channel.WEBHOOK)
        deliveries = list(webhook_deliveries[: MAX_REPLAYS_AT_ONCE + 1])
        if len(deliveries) > MAX_REPLAYS_AT_ONCE:
            messages.error(
                request,
                _("Select at most %(count)d webhook deliveries.") % {"count": MAX_REPLAYS_AT_ONCE},
            )
            return
        if not deliveries:
            messages.error(request, _("Only webhook deliveries can be replayed."))
            return
        actor = Actor.for_user(request.user)
        for delivery in deliveries:
            try:
                delivery = webhook_services.replay_delivery(delivery=delivery, actor=actor)
            except DomainError as exc:
                messages.error(
                    request,
                    _("Delivery %(id)s: %(error)s") % {"id": delivery.pk, "error": exc.message},
                )
                continue
            messages.info(
                request,
                _("Delivery %(id)s: %(status)s.")
                % {"id": delivery.pk, "status": delivery.get_status_display()},
            )


@admin.register(WebhookAttempt)
class WebhookAttemptAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "endpoint", "delivery", "status_code", "latency_ms", "error"]
    list_filter = ["is_manual_replay"]
    list_select_related = ["endpoint", "delivery"]
    readonly_fields = [f.name for f in WebhookAttempt._meta.fields]


@admin.register(LiveEvent)
class LiveEventAdmin(ReadOnlyAdmin):
    list_display = ["pk", "topic", "event_type", "created_at"]
    list_filter = ["event_type"]
    search_fields = ["topic"]
    readonly_fields = [f.name for f in LiveEvent._meta.fields]


@admin.register(DeadLetter)
class DeadLetterAdmin(ReadOnlyAdmin):
    """Read, then delete once handled."""

    list_display = ["created_at", "task", "error"]
    search_fields = ["task"]
    readonly_fields = [f.name for f in DeadLetter._meta.fields]

    def has_delete_permission(self, request, obj=None) -> bool:
        return request.user.has_perm("notifications.delete_deadletter")


@admin.register(ContactPreference)
class ContactPreferenceAdmin(ReadOnlyAdmin):
    """Customers set their own preferences (preference centre); staff only look."""

    list_display = ["email", "wants_non_essential", "updated_at"]
    list_filter = ["wants_non_essential"]
    search_fields = ["email"]
    readonly_fields = ["email", "wants_non_essential", "updated_at"]
