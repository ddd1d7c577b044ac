"""Admin for returns data: the store-credit ledger (read only: entries come from services)."""

from django.contrib import admin

from returns.models import StoreCreditEntry


@admin.register(StoreCreditEntry)
class StoreCreditEntryAdmin(admin.ModelAdmin):
    list_display = ["customer", "kind", "amount", "currency", "reference", "created_at"]
    list_filter = ["kind", "currency"]
    search_fields = ["customer__email", "reference"]
    raw_id_fields = ["customer", "order"]

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_add_permission(self, request) -> bool:
        return False
