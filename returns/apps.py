from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReturnsConfig(AppConfig):
    name = "returns"
    verbose_name = _("Returns")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Store credit pays orders through the order core's payment service like a card.
        from orders.services.payments import register_gateway
        from returns.gateway import NAME, StoreCreditGateway

        register_gateway(NAME, StoreCreditGateway)

        # Return emails link straight to the return's page through a signed link, added at
        # rendering time so the payload (webhooks, live streams) never carries it.
        from notifications.rendering import register_context_provider
        from returns.services.portal_access import email_context

        register_context_provider(email_context)
