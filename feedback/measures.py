"""Feedback measures in insights (registered on import, from FeedbackConfig.ready)."""
