"""Referrals in the rest of the system, wired from FeedbackConfig.ready (one line): the
recipient's own referral link in the footer of the delivered, review-request and reward emails
(a rendering context provider), and the referral panel on the console's customer 360."""

from feedback.services import referrals


def customer_panel(customer, user) -> dict | None:
    """The customer's code and link, their referrals by status, who referred them. One query;
    nothing is made on a page view (the customer's emails make the code)."""
    return referrals.panel_summary(customer.pk)


def register() -> None:
    from notifications.rendering import register_context_provider
    from support.panels import register_customer_panel

    register_context_provider(referrals.email_context)
    register_customer_panel("feedback/referral/_customer_panel.html", customer_panel)
