"""Admin for returns: the return policy (the one place the store's rules are edited, with its
reason rules and window overrides inline), returns read only (they move through services, from
the portal, the console and the API), and the store-credit ledger (read only)."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from returns.labels import render_label_pdf
from returns.models import (
    ReturnEvent,
    ReturnLine,
    ReturnPolicy,
    ReturnReasonRule,
    ReturnRequest,
    ReturnWindowOverride,
    StoreCreditEntry,
)
from returns.policy import activate_policy

POLICY_HELP = {
    "name": _("For staff only: customers never see it."),
    "is_active": _(
        "The policy every return is decided by. Saving this one as active deactivates the "
        "policy that was active. Without an active policy, a default applies (30 days, every "
        "resolution, no fees)."
    ),
    "window_days": _(
        "Days after delivery, counted in the customer's time zone, during which items can be "
        "returned. The window closes at the end of the last day. Overrides below change it per "
        "product or category. The statutory right of withdrawal (Brazil 7 days, EU 14 days) "
        "applies whatever you set here."
    ),
    "offers_refund": _("Customers may get their money back on the original payment."),
    "offers_store_credit": _("Customers may get store credit instead of a refund."),
    "offers_exchange": _(
        "Customers may exchange an item for another variant of the same product (offered only "
        "when the product has one)."
    ),
    "offers_instant_exchange": _(
        "The replacement ships at once, secured by a payment hold released when the return arrives."
    ),
    "store_credit_bonus_percent": _(
        "Extra store credit, in percent of the items' value minus fees, to favour store credit "
        "over a refund. 0: no bonus."
    ),
    "refund_release": _(
        "When the money goes back: on the carrier's first scan of the return parcel, on receipt "
        "at the warehouse, or after inspection. Withdrawals are never held for inspection."
    ),
    "return_shipping_fee": _(
        "Deducted once per return when a reason rule says the customer pays return shipping. "
        "Never for withdrawals or returns the customer keeps."
    ),
    "ship_within_days": _(
        "A return approved but not scanned by the carrier within this many days expires."
    ),
    "return_warehouse": _(
        "Where return parcels go. Blank: the warehouse that shipped the first returned item."
    ),
}
RULE_HELP = {
    "reason": _(
        "The reason the customer chooses. A reason without a rule is allowed with defaults."
    ),
    "is_enabled": _("Untick to stop offering this reason."),
    "requires_photo": _("The customer must attach a photo."),
    "return_shipping_paid_by": _(
        "The customer: the policy's return shipping fee is deducted from the refund."
    ),
    "restocking_fee_percent": _("Percent of the returned items' value kept by the store."),
    "keep_it_max_amount": _(
        "Items worth at most this much (per line) are refunded without being sent back. 0: never."
    ),
    "requires_review": _("A rep approves the return before the customer may send it."),
}
OVERRIDE_HELP = {
    "product": _("A product (its variants included); leave blank to give a category."),
    "category": _("A product category, exactly as on the product; leave blank for a product."),
    "window_days": _("Days from delivery; 0: not returnable (except under withdrawal law)."),
}


class ReturnPolicyForm(forms.ModelForm):
    class Meta:
        model = ReturnPolicy
        fields = list(POLICY_HELP)
        help_texts = POLICY_HELP

    def validate_constraints(self):
        # "One active policy" holds because saving goes through activate_policy, which
        # deactivates the other one in the same transaction; checking it here would refuse
        # exactly what the admin is for.
        exclude = self._get_validation_exclusions() | {"is_active"}
        try:
            self.instance.validate_constraints(exclude=exclude)
        except ValidationError as error:
            self._update_errors(error)


class ReturnReasonRuleInline(admin.TabularInline):
    model = ReturnReasonRule
    extra = 0
    fields = [
        "reason",
        "is_enabled",
        "requires_photo",
        "return_shipping_paid_by",
        "restocking_fee_percent",
        "keep_it_max_amount",
        "requires_review",
    ]

    def get_formset(self, request, obj=None, **kwargs):
        kwargs["help_texts"] = RULE_HELP
        return super().get_formset(request, obj, **kwargs)


class WindowOverrideForm(forms.ModelForm):
    class Meta:
        model = ReturnWindowOverride
        fields = ["product", "category", "window_days"]
        help_texts = OVERRIDE_HELP

    def clean(self):
        data = super().clean()
        if bool(data.get("product")) == bool(data.get("category")):
            raise ValidationError(_("Give either a product or a category, not both."))
        return data

    def validate_constraints(self):
        if self.non_field_errors():
            return  # clean() already said it in words
        super().validate_constraints()


class ReturnWindowOverrideInline(admin.TabularInline):
    model = ReturnWindowOverride
    form = WindowOverrideForm
    extra = 0
    raw_id_fields = ["product"]


@admin.register(ReturnPolicy)
class ReturnPolicyAdmin(admin.ModelAdmin):
    form = ReturnPolicyForm
    list_display = [
        "name",
        "is_active",
        "window_days",
        "refund_release",
        "offers_refund",
        "offers_store_credit",
        "offers_exchange",
        "updated_at",
    ]
    list_filter = ["is_active"]
    inlines = [ReturnReasonRuleInline, ReturnWindowOverrideInline]
    actions = ["activate"]
    fieldsets = [
        (None, {"fields": ["name", "is_active"]}),
        (_("Window"), {"fields": ["window_days", "ship_within_days"]}),
        (
            _("Resolutions"),
            {
                "fields": [
                    "offers_refund",
                    "offers_store_credit",
                    "store_credit_bonus_percent",
                    "offers_exchange",
                    "offers_instant_exchange",
                    "refund_release",
                ]
            },
        ),
        (_("Return shipping"), {"fields": ["return_shipping_fee", "return_warehouse"]}),
    ]

    def save_model(self, request, obj, form, change):
        if obj.is_active:
            activate_policy(obj)
        else:
            obj.save()

    @admin.action(description=_("Make the selected policy the active one"))
    def activate(self, request, queryset):
        if queryset.count() != 1:
            self.message_user(
                request, _("Choose exactly one policy to activate."), level=messages.ERROR
            )
            return
        policy = activate_policy(queryset.get())
        self.message_user(request, _("“%(name)s” is now the active policy.") % {"name": policy})


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


class ReturnLineInline(ReadOnlyInline):
    model = ReturnLine
    fields = [
        "order_line",
        "quantity",
        "reason",
        "comment",
        "unit_amount",
        "restocking_fee",
        "exchange_variant",
        "quantity_received",
        "condition",
        "disposition",
        "quantity_restocked",
    ]
    readonly_fields = fields


class ReturnEventInline(ReadOnlyInline):
    model = ReturnEvent
    fields = ["created_at", "type", "actor_label", "reason", "data"]
    readonly_fields = fields


@admin.register(ReturnRequest)
class ReturnRequestAdmin(admin.ModelAdmin):
    """Returns are read here; they change through the console, the portal and the API, which
    apply the policy and write the timeline."""

    list_display = [
        "rma",
        "order",
        "customer",
        "status",
        "resolution",
        "requested_via",
        "is_withdrawal",
        "estimated_total",
        "currency",
        "created_at",
    ]
    list_filter = ["status", "resolution", "requested_via", "is_withdrawal"]
    list_select_related = ["order", "customer"]
    search_fields = ["rma", "order__number", "order__email", "customer__email", "tracking_number"]
    readonly_fields = [f.name for f in ReturnRequest._meta.fields] + ["label"]
    inlines = [ReturnLineInline, ReturnEventInline]
    date_hierarchy = "created_at"

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description=_("return label"))
    def label(self, obj):
        if obj.pk is None:
            return "-"
        url = reverse("admin:returns_returnrequest_label", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, _("Download the label (PDF)"))

    def get_urls(self):
        return [
            path(
                "<int:pk>/label/",
                self.admin_site.admin_view(self.label_view),
                name="returns_returnrequest_label",
            ),
            *super().get_urls(),
        ]

    def label_view(self, request, pk):
        if not self.has_view_permission(request):
            raise PermissionDenied
        return_request = get_object_or_404(
            ReturnRequest.objects.select_related("order", "warehouse"), pk=pk
        )
        response = HttpResponse(render_label_pdf(return_request), content_type="application/pdf")
        response["Content-Disposition"] = f'inline; filename="{return_request.rma}.pdf"'
        return response


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
