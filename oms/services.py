"""Writes on the platform tables: API clients and idempotency records."""

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from oms.exceptions import ValidationFailed
from oms.models import ApiClient, IdempotencyRecord, Scope


@transaction.atomic
def create_api_client(*, name: str, scopes: list[str]) -> tuple[ApiClient, str]:
    """Create an API client and return it with its token (shown once, only its hash is kept)."""
    unknown = sorted(set(scopes) - set(Scope.values))
    if unknown:
        raise ValidationFailed(f"Unknown scopes: {', '.join(unknown)}", code="unknown_scope")
    client = ApiClient(name=name, scopes=sorted(set(scopes)))
    token = client.set_new_token()
    client.save()
    return client, token


@transaction.atomic
def rotate_api_client_token(*, client: ApiClient) -> str:
    token = client.set_new_token()
    client.save(update_fields=["token_prefix", "token_hash"])
    return token


def purge_expired_idempotency_keys() -> int:
    cutoff = timezone.now() - settings.IDEMPOTENCY_KEY_TTL
    deleted, _ = IdempotencyRecord.objects.filter(created_at__lt=cutoff).delete()
    return deleted
