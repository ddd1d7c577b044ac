from django.contrib import admin

from notifications.models import OutboxMessage


@admin.register(OutboxMessage)
class OutboxMessageAdmin(admin.ModelAdmin):
    list_display = ["event_type", "aggregate_type", "aggregate_id", "created_at", "dispatched_at"]
    list_filter = ["event_type", "aggregate_type"]
    search_fields = ["aggregate_id"]
    readonly_fields = [f.name for f in OutboxMessage._meta.fields]
