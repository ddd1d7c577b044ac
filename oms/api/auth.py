"""Bearer-token authentication for API clients and the scope check every API view declares.

A view says what it needs with `required_scopes = {"GET": ["orders:read"], "POST": [...]}`.
"""

from datetime import timedelta

from django.utils import timezone
from rest_framework import authentication, exceptions, permissions

from oms.models import TOKEN_PREFIX, ApiClient, hash_token

LAST_USED_RESOLUTION = timedelta(minutes=5)


class ApiTokenAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).decode("latin-1")
        if not header:
            return None
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.startswith(TOKEN_PREFIX):
            raise exceptions.AuthenticationFailed("Use 'Authorization: Bearer <API token>'.")
        client = ApiClient.objects.filter(token_hash=hash_token(token.strip())).first()
        if client is None or not client.is_active:
            raise exceptions.AuthenticationFailed("The API token is not valid.")
        now = timezone.now()
        if client.last_used_at is None or now - client.last_used_at > LAST_USED_RESOLUTION:
            # Coarse on purpose: one write per client per few minutes, not one per request.
            ApiClient.objects.filter(pk=client.pk).update(last_used_at=now)
        client.is_authenticated = True
        return client, client

    def authenticate_header(self, request) -> str:
        return self.keyword  # makes DRF answer 401 rather than 403 when the token is missing


class HasScopes(permissions.BasePermission):
    message = "The API token lacks a scope this endpoint needs."

    def has_permission(self, request, view) -> bool:
        client = request.auth
        if not isinstance(client, ApiClient):
            raise exceptions.NotAuthenticated("An API token is required.")
        required = getattr(view, "required_scopes", {}).get(request.method, None)
        if required is None:
            # Not implemented: let DRF answer 405. Implemented without scopes: closed.
            return not hasattr(view, request.method.lower())
        missing = sorted(set(required) - set(client.scopes))
        if missing:
            self.message = f"The API token lacks the scope(s): {', '.join(missing)}."
            return False
        return True
