from django.contrib import admin, messages

from oms.models import ApiClient
from oms.services import rotate_api_client_token


@admin.register(ApiClient)
class ApiClientAdmin(admin.ModelAdmin):
    list_display = ["name", "token_prefix", "scopes", "is_active", "created_at", "last_used_at"]
    list_filter = ["is_active"]
    search_fields = ["name"]
    readonly_fields = ["token_prefix", "created_at", "last_used_at"]
    actions = ["rotate_token"]

    def save_model(self, request, obj, form, change):
        if not change:
            token = obj.set_new_token()
            super().save_model(request, obj, form, change)
            messages.warning(request, f"Token for {obj.name} (shown once, copy it now): {token}")
        else:
            super().save_model(request, obj, form, change)

    @admin.action(description="Rotate the token (the old one stops working)")
    def rotate_token(self, request, queryset):
        for client in queryset:
            token = rotate_api_client_token(client=client)
            messages.warning(request, f"New token for {client.name} (shown once): {token}")
