"""SMS and WhatsApp behind the channel interface. The built-in backends log what they would
send; a provider's backend replaces them through OMS_CHANNEL_BACKENDS."""

import logging

from notifications.channels import SendResult
from notifications.models import Delivery
from notifications.rendering import render_short_text

logger = logging.getLogger("notifications.messaging")


class LoggingSmsChannel:
    channel = "sms"

    def send(self, delivery: Delivery) -> SendResult:
        text = render_short_text(delivery.message)
        logger.info(
            "notifications.%s_sent",
            self.channel,
            extra={"delivery_id": delivery.pk, "to": delivery.target, "text": text},
        )
        return SendResult(True, detail=text[:255])


class LoggingWhatsAppChannel(LoggingSmsChannel):
    channel = "whatsapp"
