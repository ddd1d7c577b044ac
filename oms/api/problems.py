"""RFC 9457 problem details: one shape for every API error, with a stable `code` and
field-level `errors` (https://www.rfc-editor.org/rfc/rfc9457)."""

from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from rest_framework import exceptions as drf
from rest_framework.response import Response

from oms.exceptions import DomainError

PROBLEM_CONTENT_TYPE = "application/problem+json"
PROBLEM_TYPE_BASE = "https://oms.dev/problems/"

DRF_CODES = {
    drf.ParseError: ("malformed_request", "The request body could not be parsed"),
    drf.AuthenticationFailed: ("authentication_failed", "Authentication failed"),
    drf.NotAuthenticated: ("not_authenticated", "Authentication required"),
    drf.PermissionDenied: ("permission_denied", "Not allowed"),
    drf.NotFound: ("not_found", "Not found"),
    drf.MethodNotAllowed: ("method_not_allowed", "Method not allowed"),
    drf.NotAcceptable: ("not_acceptable", "Not acceptable"),
    drf.UnsupportedMediaType: ("unsupported_media_type", "Unsupported media type"),
    drf.Throttled: ("throttled", "Too many requests"),
}


def flatten_errors(detail: Any, path: str = "") -> list[dict[str, str]]:
    """Turn DRF's nested error structure into [{field, code, message}] with dotted paths."""
    if isinstance(detail, dict):
        out = []
        for key, value in detail.items():
            field = path if key in ("non_field_errors",) else f"{path}.{key}" if path else key
            out.extend(flatten_errors(value, field))
        return out
    if isinstance(detail, list):
        if all(isinstance(item, drf.ErrorDetail) for item in detail):
            return [{"field": path, "code": d.code, "message": str(d)} for d in detail]
        out = []
        for index, item in enumerate(detail):
            if item:
                out.extend(flatten_errors(item, f"{path}.{index}" if path else str(index)))
        return out
    return [{"field": path, "code": getattr(detail, "code", "invalid"), "message": str(detail)}]


# Members every problem carries; a domain error's extra data never overwrites them.
RESERVED_MEMBERS = frozenset({"type", "title", "status", "code", "detail", "errors"})


def problem(
    status: int,
    code: str,
    title: str,
    detail: str = "",
    errors: list | None = None,
    **extra: Any,
) -> Response:
    body = {
        "type": PROBLEM_TYPE_BASE + code.replace("_", "-"),
        "title": str(title),
        "status": status,
        "code": code,
        "detail": str(detail or title),
    }
    if errors:
        body["errors"] = errors
    body.update({key: value for key, value in extra.items() if key not in RESERVED_MEMBERS})
    return Response(body, status=status, content_type=PROBLEM_CONTENT_TYPE)


def problem_exception_handler(exc: Exception, context: dict) -> Response | None:
    request = context.get("request")
    instance = {"instance": request.path} if request is not None else {}
    if isinstance(exc, DomainError):
        return problem(
            exc.status,
            exc.code,
            exc.title,
            exc.message,
            exc.errors,
            **{k: v for k, v in exc.extra.items() if k not in RESERVED_MEMBERS | {"instance"}},
            **instance,
        )
    if isinstance(exc, drf.ValidationError):
        errors = flatten_errors(exc.detail)
        return problem(
            400,
            "validation_error",
            "The input is not valid",
            "; ".join(f"{e['field'] or 'request'}: {e['message']}" for e in errors[:5]),
            errors,
            **instance,
        )
    if isinstance(exc, Http404):
        exc = drf.NotFound()
    if isinstance(exc, DjangoPermissionDenied):
        exc = drf.PermissionDenied()
    for exc_class, (code, title) in DRF_CODES.items():
        if isinstance(exc, exc_class):
            response = problem(exc.status_code, code, title, str(exc.detail), **instance)
            if isinstance(exc, drf.NotAuthenticated | drf.AuthenticationFailed):
                response["WWW-Authenticate"] = "Bearer"
            if isinstance(exc, drf.Throttled) and exc.wait:
                response["Retry-After"] = str(int(exc.wait))
            return response
    if isinstance(exc, drf.APIException):
        return problem(exc.status_code, "error", "Error", str(exc.detail), **instance)
    return None  # unexpected: let Django log it and answer 500
