"""Shared fixtures, and the strict mode CI runs in: with OMS_STRICT_TESTS=1 the suite refuses to
run without PostgreSQL and Redis, and any skipped test fails the run."""

import os
import tempfile
import uuid

import pytest
from django.conf import settings
from rest_framework.test import APIClient

from oms.actors import Actor
from tests.factories import StockFactory, VariantFactory, WarehouseFactory, make_api_client

STRICT = os.environ.get("OMS_STRICT_TESTS") == "1"
_skipped: list[str] = []


def pytest_configure(config):
    # Uploaded files (return photos) go to a throwaway folder, never into the checkout.
    settings.MEDIA_ROOT = tempfile.mkdtemp(prefix="oms-test-media-")
    if not STRICT:
        return
    if not settings.IS_POSTGRES:
        raise pytest.UsageError("OMS_STRICT_TESTS=1 needs DATABASE_URL pointing at PostgreSQL")
    if not settings.REDIS_URL:
        raise pytest.UsageError("OMS_STRICT_TESTS=1 needs REDIS_URL")
    import redis

    try:
        redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=3).ping()
    except redis.RedisError as exc:
        raise pytest.UsageError(f"Redis at {settings.REDIS_URL} is not reachable: {exc}") from exc


def pytest_runtest_logreport(report):
    if report.skipped:
        _skipped.append(report.nodeid)


def pytest_sessionfinish(session, exitstatus):
    if STRICT and _skipped and exitstatus == 0:
        print(f"\nOMS_STRICT_TESTS: {len(_skipped)} skipped test(s) count as failures:")
        for nodeid in _skipped:
            print(f"  {nodeid}")
        session.exitstatus = 1


def pytest_collection_modifyitems(config, items):
    if settings.IS_POSTGRES:
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL (set DATABASE_URL); CI runs it")
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def default_language():
    """A request with Accept-Language: pt-BR leaves Portuguese active in the thread; the next
    test on the same worker must start in the default language again."""
    from django.conf import settings
    from django.utils import translation

    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def tasks_run_inline(request, settings):
    """Tasks run in-process unless a test starts a real worker (marker `real_worker`): a test
    must never leave messages on the shared Redis broker for another test's worker to find."""
    from oms.celery import app

    if "real_worker" in request.keywords:
        yield
        return
    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = previous


@pytest.fixture(autouse=True)
def console_roles(request):
    """The role groups and authority matrix that migration support/0002 seeds. A test with real
    transactions ends by flushing the database, seeded rows included, so a later test on the
    same worker would find no "agent" group: put them back before every database test."""
    uses_db = "django_db" in request.keywords or {"db", "transactional_db"} & set(
        request.fixturenames
    )
    if uses_db:
        request.getfixturevalue("_django_db_helper")
        from tests.support.money_actions import ensure_roles

        ensure_roles()
    yield


@pytest.fixture
def system_actor() -> Actor:
    return Actor.system("tests")


@pytest.fixture
def api_token(db) -> str:
    return make_api_client()[1]


@pytest.fixture
def api(api_token) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {api_token}")
    return client


@pytest.fixture
def idem():
    """A fresh Idempotency-Key header for each call."""
    return lambda: {"HTTP_IDEMPOTENCY_KEY": uuid.uuid4().hex}


@pytest.fixture
def two_warehouses(db):
    east = WarehouseFactory(code="EAST", region="NY", priority=10)
    west = WarehouseFactory(code="WEST", region="CA", priority=20)
    return east, west


@pytest.fixture
def stocked_variant(two_warehouses):
    """A SKU with 5 units in each of two warehouses."""
    east, west = two_warehouses
    variant = VariantFactory(sku="TEE-M")
    StockFactory(variant=variant, warehouse=east, on_hand=5)
    StockFactory(variant=variant, warehouse=west, on_hand=5)
    return variant
