"""Who may use the console and do what. Every console view is wrapped by `console_view`, so the
check happens on the server for every request, whatever the page shows or hides."""

from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _

from oms.actors import Actor
from support.models import Role

PERMISSION_PREFIX = "support."
ROLE_ORDER = [Role.ADMIN, Role.SUPERVISOR, Role.AGENT]


def role_of(user) -> str | None:
    """The user's highest console role (superusers are admins), or None."""
    if not (user.is_authenticated and user.is_active):
        return None
    if user.is_superuser:
        return Role.ADMIN
    names = {group.name for group in user.groups.all()}
    return next((role for role in ROLE_ORDER if role in names), None)


def can(user, permission: str) -> bool:
    return bool(user.is_authenticated and user.is_active) and user.has_perm(
        PERMISSION_PREFIX + permission
    )


def actor_for(request: HttpRequest) -> Actor:
    return Actor.for_user(request.user)


def _refuse(request: HttpRequest) -> HttpResponse:
    if request.headers.get("HX-Request"):
        response = HttpResponse(_("You are not allowed to do this."), status=403)
        response["HX-Retarget"] = "#flash"
        return response
    return HttpResponse(_("You are not allowed to do this."), status=403)


def console_view(permission: str = "use_console") -> Callable:
    """Require a signed-in, active user with `support.use_console` and `support.<permission>`.
    Anonymous visitors go to the login page (htmx requests get 401 and a redirect header)."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            user = request.user
            if not user.is_authenticated:
                if request.headers.get("HX-Request"):
                    response = HttpResponse(status=401)
                    response["HX-Redirect"] = settings.LOGIN_URL
                    return response
                if request.method != "GET":
                    return HttpResponse(_("Please sign in."), status=401)
                return redirect_to_login(request.get_full_path())
            if not (can(user, "use_console") and can(user, permission)):
                return _refuse(request)
            return view(request, *args, **kwargs)

        wrapper.console_permission = permission  # read by the test that checks every view
        return wrapper

    return decorator
