"""Feedback and post-purchase engagement: review and survey requests, product reviews and their
moderation, recommendations, replenishment reminders and referrals."""
