from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FeedbackConfig(AppConfig):
    name = "feedback"
    verbose_name = _("Feedback")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Emails add what only feedback can make at rendering time (signed links, suggestions),
        # so payloads (webhooks, live streams) never carry a secret. One provider per concern.
        from django.utils.module_loading import import_string
        from notifications.rendering import register_context_provider

        from feedback.services.emails import request_email_context

        register_context_provider(request_email_context)
        # Other owners' providers and panels: one line each below.
        import_string("feedback.console.register")()  # F2: console panels, insights measures
