"""Who did it: every write in the system names its actor (customer, staff user, API client or the
system itself) so timelines and audits can say who, what, when and why."""

from dataclasses import dataclass
from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _


class ActorKind(models.TextChoices):
    CUSTOMER = "customer", _("Customer")
    STAFF = "staff", _("Staff")
    API_CLIENT = "api_client", _("API client")
    SYSTEM = "system", _("System")


@dataclass(frozen=True)
class Actor:
    kind: str
    label: str
    user_id: int | None = None
    api_client_id: int | None = None
    customer_id: int | None = None

    @classmethod
    def system(cls, label: str = "system") -> "Actor":
        return cls(kind=ActorKind.SYSTEM, label=label)

    @classmethod
    def for_user(cls, user: Any) -> "Actor":
        return cls(kind=ActorKind.STAFF, label=user.get_username(), user_id=user.pk)

    @classmethod
    def for_api_client(cls, client: Any) -> "Actor":
        return cls(kind=ActorKind.API_CLIENT, label=client.name, api_client_id=client.pk)

    @classmethod
    def for_customer(cls, customer: Any) -> "Actor":
        return cls(kind=ActorKind.CUSTOMER, label=customer.email, customer_id=customer.pk)

    def as_fields(self, prefix: str = "actor") -> dict[str, Any]:
        """The columns an audit row stores (see ActorFields)."""
        return {
            f"{prefix}_kind": self.kind,
            f"{prefix}_label": self.label[:150],
            f"{prefix}_user_id": self.user_id,
            f"{prefix}_api_client_id": self.api_client_id,
        }


class ActorFields(models.Model):
    """Abstract columns naming an actor, for audit rows (OrderEvent, stock movements, ...)."""

    actor_kind = models.CharField(max_length=16, choices=ActorKind.choices)
    actor_label = models.CharField(max_length=150)
    actor_user = models.ForeignKey(
        "auth.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor_api_client = models.ForeignKey(
        "oms.ApiClient", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        abstract = True

    @property
    def actor(self) -> Actor:
        return Actor(
            kind=self.actor_kind,
            label=self.actor_label,
            user_id=self.actor_user_id,
            api_client_id=self.actor_api_client_id,
        )
