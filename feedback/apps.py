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

        from feedback.services.emails import request_email_context
        from notifications.rendering import register_context_provider

        register_context_provider(request_email_context)
        # Other owners' providers and panels: one line each below.
        register_context_provider(import_string("feedback.services.recommendations.email_context"))
        import_string("feedback.console.register")()  # F2: console panels, insights measures
        import_string("feedback.referral_wiring.register")()  # F4: referral link, 360 panel
        # The demo store's feedback, seeded by support's seed_demo after its own steps.
        import_string("support.demo.extensions.register_demo_step")(
            "Feedback", "feedback.demo.seed_feedback"
        )
