"""OpenAPI description of the API token authentication (drf-spectacular extension)."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension

from oms.models import Scope


class ApiTokenScheme(OpenApiAuthenticationExtension):
    target_class = "oms.api.auth.ApiTokenAuthentication"
    name = "ApiToken"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "An API client's token: `Authorization: Bearer oms_…`. Tokens carry "
            "scopes: " + ", ".join(Scope.values) + ".",
        }
