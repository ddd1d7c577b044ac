"""Demo feedback for `manage.py seed_demo`: rules in the admin, review and survey requests sent
after the demo's deliveries, answers with reviews (some with photos, some mentioning damage),
moderation decisions, return surveys, referrals and the product pairs, all made by the real
feedback services on the simulated clock (see feedback.demo.seed)."""

from feedback.demo.seed import seed_feedback

__all__ = ["seed_feedback"]
