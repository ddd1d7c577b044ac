"""Who may do what with returns in the console: every role sees the queue and the returns;
supervisors (and admins) review; agents and supervisors create, cancel, release and refund;
supervisors and the warehouse receive and inspect; the warehouse login does nothing else. Every
refusal is a 403 that changes nothing. Photos are served only to console users."""

import re
from pathlib import Path

import pytest
from django.contrib.auth import authenticate
from django.contrib.auth.models import Group, User
from django.urls import reverse

from orders.demo.setup import DEMO_USERS, ensure_demo_users
from returns.models import ReturnPhoto, ReturnRequest
from support.management.commands.seed_demo import CONSOLE_DEMO_USERS, ensure_console_demo_users
from support.views.returns import urlpatterns
from tests.returns.lifecycle_builders import (
    delivered_order,
    photo,
    request,
    return_marks,
    store_policy,
    wanted,
)

pytestmark = pytest.mark.django_db

ALLOWED = {
    # route name: the roles allowed (admins are superusers: allowed everywhere)
    "returns": {"agent", "supervisor", "warehouse"},
    "return-detail": {"agent", "supervisor", "warehouse"},
    "return-photo": {"agent", "supervisor", "warehouse"},
    "return-link-case": {"agent", "supervisor", "warehouse"},
    "return-approve": {"supervisor"},
    "return-reject": {"supervisor"},
    "return-cancel": {"agent", "supervisor"},
    "return-release": {"agent", "supervisor"},
    "return-refund": {"agent", "supervisor"},
    "returns-receive": {"supervisor", "warehouse"},
    "return-receive": {"supervisor", "warehouse"},
    "return-inspect": {"supervisor", "warehouse"},
    "order-return": {"agent", "supervisor"},
}
ROLES = ["agent", "supervisor", "warehouse"]


def login(client, role: str) -> User:
    user = User.objects.create_user(f"{role}-user", is_staff=role != "warehouse")
    user.groups.add(Group.objects.get(name=role))
    client.force_login(user)
    return user


@pytest.fixture
def waiting(settings, tmp_path):
    """A return waiting for a review ("other"), with a photo of its line."""
    settings.MEDIA_ROOT = tmp_path
    store_policy()
    order = delivered_order()
    return_request = request(order, wanted(order, "TEE-M", 1, reason="other"))
    line = return_request.lines.get()
    stored = ReturnPhoto.objects.create(
        line=line, image=photo(), content_type="image/jpeg", size=len(photo().read())
    )
    return {"return": return_request, "order": order, "photo": stored}


def url_for(name: str, waiting: dict) -> str:
    kwargs = {
        "rma": waiting["return"].rma,
        "number": waiting["order"].number,
        "photo_id": waiting["photo"].pk,
    }
    pattern = next(p for p in urlpatterns if p.name == name)
    return reverse(
        f"console:{name}",
        kwargs={k: v for k, v in kwargs.items() if k in pattern.pattern.converters},
    )


def test_every_returns_route_is_in_the_matrix():
    assert {p.name for p in urlpatterns} == set(ALLOWED)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", sorted(ALLOWED))
def test_each_role_reaches_only_its_returns_routes(client, waiting, name, role):
    login(client, role)
    before = return_marks()
    url = url_for(name, waiting)
    get = client.get(url)
    post = client.post(url, {}, HTTP_HX_REQUEST="true")
    if role in ALLOWED[name]:
        assert get.status_code != 403 and post.status_code != 403, (name, role)
    else:
        assert (get.status_code, post.status_code) == (403, 403), (name, role)
        assert return_marks() == before  # a refusal changes nothing


def test_the_migration_gives_each_role_its_returns_permissions():
    def codenames(group: str) -> set[str]:
        return set(Group.objects.get(name=group).permissions.values_list("codename", flat=True))

    assert codenames("warehouse") == {"use_console", "receive_returns"}
    assert {"review_returns", "receive_returns"} <= codenames("supervisor")
    assert {"review_returns", "receive_returns"} <= codenames("admin")
    assert not {"review_returns", "receive_returns"} & codenames("agent")


def test_the_demo_has_a_warehouse_login_without_admin_access(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    ensure_console_demo_users()
    ensure_console_demo_users()  # idempotent
    user = authenticate(username="warehouse", password="warehouse-demo")
    assert user is not None and not user.is_staff and not user.is_superuser
    assert list(user.groups.values_list("name", flat=True)) == ["warehouse"]
    assert user.has_perm("support.receive_returns") and not user.has_perm("support.act_on_orders")


def test_the_readme_lists_every_demo_login_and_each_signs_in(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    ensure_demo_users()
    ensure_console_demo_users()
    readme = (Path(settings.BASE_DIR) / "README.md").read_text(encoding="utf-8")
    table = readme.split("### Demo logins", 1)[1].split("\n\n", 2)[1]
    listed = dict(re.findall(r"^\| `([^`]+)` \| `([^`]+)` \|", table, flags=re.M))

    seeded = {user: password for user, password, *_rest in DEMO_USERS + CONSOLE_DEMO_USERS}
    assert listed == seeded
    for username, password in listed.items():
        assert authenticate(username=username, password=password) is not None, username


def test_a_photo_is_streamed_to_console_users_only_after_the_check(client, waiting):
    url = url_for("return-photo", waiting)
    assert client.get(url).status_code == 302  # anonymous: to the login page
    login(client, "warehouse")
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cache-Control"].startswith("private")
    assert b"".join(response.streaming_content).startswith(b"\xff\xd8")


def test_a_photo_is_only_found_under_its_own_return(client, waiting):
    order = waiting["order"]
    other = request(order, wanted(order, "CAP", 1))
    login(client, "agent")
    url = reverse("console:return-photo", args=[other.rma, waiting["photo"].pk])
    assert client.get(url).status_code == 404
    missing = reverse("console:return-photo", args=[waiting["return"].rma, 999999])
    assert client.get(missing).status_code == 404


def test_an_unknown_rma_is_not_found(client, waiting):
    login(client, "supervisor")
    for name in ("return-detail", "return-approve", "return-cancel", "return-refund"):
        url = reverse(f"console:{name}", args=["R999999-9"])
        assert client.get(url).status_code == 404, name
    assert ReturnRequest.objects.count() == 1
