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
