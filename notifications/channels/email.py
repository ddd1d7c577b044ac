"""Email to customers, from text and HTML templates, in the customer's language."""

from django.conf import settings
from django.core.mail import EmailMultiAlternatives

from notifications.channels import SendResult
from notifications.models import Delivery
from notifications.rendering import render_email


class EmailChannel:
    def send(self, delivery: Delivery) -> SendResult:
        rendered = render_email(delivery.message)
        if rendered is None:
            return SendResult(False, is_permanent=True, error="no email template for this event")
        email = EmailMultiAlternatives(
            subject=rendered.subject,
            body=rendered.text,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[delivery.target],
            # One Message-ID per delivery: a resend after a crash is recognisably the same mail.
            headers={"Message-ID": f"<delivery-{delivery.pk}@{settings.OMS_EMAIL_DOMAIN}>"},
        )
        email.attach_alternative(rendered.html, "text/html")
        email.send(using="default")
        return SendResult(True, detail=rendered.subject[:255])
