"""Every console endpoint checks who is asking, on the server: anonymous visitors never reach a
view, and a signed-in user without the console role is refused."""

import pytest
from django.contrib.auth.models import Group, User
from django.urls import URLPattern, get_resolver, reverse

from support.access import role_of

PUBLIC = {"login", "logout"}
SAMPLE_KWARGS = {
    "number": "100001",
    "customer_id": 1,
    "request_id": 1,
    "case_id": 1,
    "rma": "R100001-1",
    "photo_id": 1,
}


def console_patterns() -> list[URLPattern]:
    resolver = get_resolver()
    console = next(p for p in resolver.url_patterns if getattr(p, "namespace", "") == "console")
    return [p for p in console.url_patterns if p.name not in PUBLIC]


def url_for(pattern: URLPattern) -> str:
    kwargs = {k: v for k, v in SAMPLE_KWARGS.items() if k in pattern.pattern.converters}
    return reverse(f"console:{pattern.name}", kwargs=kwargs)


def test_every_console_view_declares_its_permission():
    missing = [p.name for p in console_patterns() if not hasattr(p.callback, "console_permission")]
    assert missing == []


@pytest.mark.django_db
@pytest.mark.parametrize("pattern", console_patterns(), ids=lambda p: p.name)
def test_anonymous_is_refused_on_every_console_endpoint(client, pattern):
    url = url_for(pattern)
    get = client.get(url)
    assert get.status_code == 302 and get["Location"].startswith("/console/login/")
    assert client.post(url, {"confirm": "1"}).status_code == 401
    htmx = client.post(url, {"confirm": "1"}, HTTP_HX_REQUEST="true")
    assert htmx.status_code == 401 and htmx["HX-Redirect"] == "/console/login/"


@pytest.mark.django_db
@pytest.mark.parametrize("pattern", console_patterns(), ids=lambda p: p.name)
def test_staff_without_a_console_role_is_refused(client, pattern):
    user = User.objects.create_user("clerk", password="x", is_staff=True)
    client.force_login(user)
    assert client.get(url_for(pattern)).status_code == 403
    assert client.post(url_for(pattern), {"confirm": "1"}).status_code == 403


@pytest.mark.django_db
def test_roles_come_from_groups_and_superusers_are_admins():
    agent = User.objects.create_user("a1")
    agent.groups.add(Group.objects.get(name="agent"))
    boss = User.objects.create_user("s1")
    boss.groups.add(Group.objects.get(name="agent"), Group.objects.get(name="supervisor"))
    root = User.objects.create_superuser("r1")
    assert (role_of(agent), role_of(boss), role_of(root)) == ("agent", "supervisor", "admin")
    assert agent.has_perm("support.act_on_orders")
    assert not agent.has_perm("support.approve_requests")
    assert boss.has_perm("support.approve_requests")
