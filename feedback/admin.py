"""Feedback's rules and records in the admin: request delays, rewards, consumables, referrals."""

from django.contrib import admin

from feedback import models


@admin.register(models.RequestDelay)
class RequestDelayAdmin(admin.ModelAdmin):
    list_display = ("category", "delay_days")


@admin.register(models.ReviewReward)
class ReviewRewardAdmin(admin.ModelAdmin):
    list_display = ("currency", "amount", "is_active")


@admin.register(models.ReferralReward)
class ReferralRewardAdmin(admin.ModelAdmin):
    list_display = ("currency", "referrer_amount", "friend_amount", "is_active")


@admin.register(models.ConsumableProduct)
class ConsumableProductAdmin(admin.ModelAdmin):
    list_display = ("product", "reorder_interval_days", "observed_interval_days", "is_active")
    raw_id_fields = ("product",)


@admin.register(models.FeedbackRequest)
class FeedbackRequestAdmin(admin.ModelAdmin):
    list_display = ("kind", "subject", "status", "scheduled_for", "sent_at", "answered_at")
    list_filter = ("kind", "status")
    raw_id_fields = ("order", "customer", "return_request")
    readonly_fields = ("nonce",)


@admin.register(models.Referral)
class ReferralAdmin(admin.ModelAdmin):
    list_display = ("referrer", "referred", "status", "rewarded_at")
    list_filter = ("status",)
    raw_id_fields = ("referrer", "referred", "code", "first_order")
