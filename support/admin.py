"""Admin for the console's data: the authority matrix (edited here), cases and approvals (read
mostly; the console is where reps work on them)."""

from django.contrib import admin

from support.models import ApprovalRequest, AuthorityRule, Case, CaseEvent


@admin.register(AuthorityRule)
class AuthorityRuleAdmin(admin.ModelAdmin):
    list_display = ["role", "action", "currency", "max_amount", "per_order_cap"]
    list_filter = ["role", "action", "currency"]
    list_editable = ["max_amount", "per_order_cap"]


class CaseEventInline(admin.TabularInline):
    model = CaseEvent
    extra = 0
    can_delete = False
    readonly_fields = ["type", "text", "order", "data", "actor_label", "created_at"]
    fields = readonly_fields


@admin.register(Case)
class CaseAdmin(admin.ModelAdmin):
    list_display = ["__str__", "customer", "order", "channel", "reason", "status", "opened_at"]
    list_filter = ["status", "channel", "reason"]
    search_fields = ["subject", "customer__email", "order__number"]
    raw_id_fields = ["customer", "order", "shipment", "opened_by", "assigned_to"]
    inlines = [CaseEventInline]


@admin.register(ApprovalRequest)
class ApprovalRequestAdmin(admin.ModelAdmin):
    list_display = ["pk", "action", "order", "amount", "currency", "status", "requested_by"]
    list_filter = ["status", "action"]
    raw_id_fields = ["order", "case", "requested_by", "decided_by"]
    readonly_fields = [f.name for f in ApprovalRequest._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False  # requests come from the console, where the authority rules apply
