"""Feedback's data: what was asked (requests), what customers answered (surveys, reviews),
what is suggested to them (product pairs, replenishment) and who brought whom (referrals)."""

from feedback.models.recommendations import (
    ConsumableProduct,
    ProductPair,
    ReplenishmentReminder,
)
from feedback.models.referrals import Referral, ReferralCode, ReferralReward
from feedback.models.requests import FeedbackRequest, RequestDelay
from feedback.models.reviews import Review, ReviewPhoto, ReviewReward
from feedback.models.surveys import SurveyResponse

__all__ = [
    "ConsumableProduct",
    "FeedbackRequest",
    "ProductPair",
    "Referral",
    "ReferralCode",
    "ReferralReward",
    "ReplenishmentReminder",
    "RequestDelay",
    "Review",
    "ReviewPhoto",
    "ReviewReward",
    "SurveyResponse",
]
