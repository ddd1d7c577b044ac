"""Every insights page checks who is asking, on the server: anonymous visitors go to the login
page, agents (no view_insights) are refused, supervisors and admins get in. The console's own
access test walks only the "console" namespace, so this one walks "insights"."""

import datetime as dt

import pytest
from django.urls import URLPattern, get_resolver, reverse
from django.utils import timezone

from insights.models import Alert
from tests.support.money_actions import staff

SAMPLE_KWARGS = {"code": "contacts_per_100_orders"}
# Pages that only answer POST with a change (none yet) are listed here to skip the GET check.
POST_ONLY: set[str] = set()


def insights_patterns() -> list[URLPattern]:
    resolver = get_resolver()
    console = next(p for p in resolver.url_patterns if getattr(p, "namespace", "") == "insights")
    return list(console.url_patterns)


def an_alert() -> Alert:
    now = timezone.now()
    return Alert.objects.create(
        subject_kind="carrier",
        subject_code="ups",
        metric="contact_rate",
        raised_at=now,
        last_checked_at=now,
        window_start=now - dt.timedelta(hours=6),
        window_end=now,
        observed_count=12,
        expected_count=3,
        volume=80,
        observed_rate=15,
        baseline_rate=4,
    )


def url_for(pattern: URLPattern, alert: Alert | None = None) -> str:
    kwargs = {k: v for k, v in SAMPLE_KWARGS.items() if k in pattern.pattern.converters}
    if "alert_id" in pattern.pattern.converters:
        kwargs["alert_id"] = alert.pk if alert else 1
    return reverse(f"insights:{pattern.name}", kwargs=kwargs)


def test_every_insights_view_needs_the_view_insights_permission():
    permissions = {
        p.name: getattr(p.callback, "console_permission", None) for p in insights_patterns()
    }
    assert permissions and set(permissions.values()) == {"view_insights"}


@pytest.mark.django_db
@pytest.mark.parametrize("pattern", insights_patterns(), ids=lambda p: p.name)
def test_anonymous_is_sent_to_the_login_page(client, pattern):
    url = url_for(pattern)
    get = client.get(url)
    assert get.status_code == 302 and get["Location"].startswith("/console/login/")
    assert client.post(url).status_code == 401
    htmx = client.post(url, HTTP_HX_REQUEST="true")
    assert htmx.status_code == 401 and htmx["HX-Redirect"] == "/console/login/"


@pytest.mark.django_db
@pytest.mark.parametrize("pattern", insights_patterns(), ids=lambda p: p.name)
def test_an_agent_is_refused(client, pattern):
    alert = an_alert()
    client.force_login(staff("agent"))
    assert client.get(url_for(pattern, alert)).status_code == 403
    assert client.post(url_for(pattern, alert)).status_code == 403
    alert.refresh_from_db()
    assert alert.notified_count == 0 and not alert.notices.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["supervisor", "admin"])
@pytest.mark.parametrize("pattern", insights_patterns(), ids=lambda p: p.name)
def test_supervisors_and_admins_get_every_page(client, pattern, role):
    alert = an_alert()
    client.force_login(staff(role))
    if pattern.name in POST_ONLY:
        return
    response = client.get(url_for(pattern, alert))
    assert response.status_code == 200, response.content[:500]


@pytest.mark.django_db
def test_the_warehouse_login_is_refused(client):
    client.force_login(staff("warehouse"))
    assert client.get(reverse("insights:overview")).status_code == 403


@pytest.mark.django_db
def test_the_console_nav_links_to_insights_only_for_those_who_may_see_them(client):
    link = f'href="{reverse("insights:overview")}"'
    client.force_login(staff("agent"))
    assert link not in client.get(reverse("console:home")).content.decode()
    client.force_login(staff("supervisor"))
    assert link in client.get(reverse("console:home")).content.decode()
    page = client.get(reverse("insights:overview")).content.decode()
    assert f'{link} aria-current="page"' in page
