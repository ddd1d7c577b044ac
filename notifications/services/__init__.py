"""Every write of the notifications app. Domain apps call `emit` inside their transaction and
nothing else; the dispatcher turns each message into deliveries after commit."""

from notifications.services.dispatch import deliver, fan_out, kick, sweep
from notifications.services.outbox import emit

__all__ = ["deliver", "emit", "fan_out", "kick", "sweep"]
