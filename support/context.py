"""The rep's working context kept in the session: the support case every action is linked to."""

from django.http import HttpRequest

from support.models import Case

SESSION_KEY = "console.active_case"


def active_case(request: HttpRequest) -> Case | None:
    """The case the rep is working on, if it is still open."""
    case_id = request.session.get(SESSION_KEY)
    if not case_id:
        return None
    case = (
        Case.objects.select_related("customer", "order")
        .exclude(status=Case.Status.RESOLVED)
        .filter(pk=case_id)
        .first()
    )
    if case is None:
        request.session.pop(SESSION_KEY, None)
    return case


def set_active_case(request: HttpRequest, case: Case | None) -> None:
    if case is None:
        request.session.pop(SESSION_KEY, None)
    else:
        request.session[SESSION_KEY] = case.pk


def console(request: HttpRequest) -> dict:
    """Template context for console pages: the rep's role and active case."""
    if not request.path.startswith("/console/") or not request.user.is_authenticated:
        return {}
    from support.access import role_of

    return {"console_role": role_of(request.user), "active_case": active_case(request)}
