"""Shared fixtures for the whole suite."""

import pytest

# `make test` runs the suite on pytest-xdist workers (--dist loadgroup). The translation test
# rewrites locale/zh_Hans/LC_MESSAGES/django.po for a moment (and puts it back) while its
# neighbour reads it: one worker runs the file. The tests that start real processes (gunicorn,
# Celery workers and beats, pg_dump) are not grouped: the group was never in effect with
# pytest 9.2 (see below) and they passed in every run side by side, at load averages up to 19;
# one after the other they would take 60-90 s of one worker at the end of the run
# (pytest-django puts tests without the database, or with transactions, last).
XDIST_GROUPS = {
    "core/tests/test_translations.py": "locale-files",
}


# Started first: the dev server's test waits for the release job (every 2 s there) and needs
# little CPU meanwhile; collected last (it uses no test database, and pytest-django puts those
# last) it kept one worker busy after the other had finished. Moving a test without the test
# database keeps pytest-django's order of the database tests.
STARTED_FIRST = "tests/test_dev_server.py::"


# After pytest-xdist's own hook: it would rename a test of an xdist_group, but with pytest 9.2
# its renaming no longer takes (pytest-xdist issue #1386), so the groups were silently ignored.
@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config, items):
    grouping = getattr(config.option, "loadgroup", False)  # set on the workers of loadgroup
    for item in items:
        group = _group(item)
        if group:
            item.add_marker(pytest.mark.xdist_group(group))
            if grouping:
                _join_group(item, group)
    items.sort(key=lambda item: not item.nodeid.startswith(STARTED_FIRST))


def _group(item) -> str | None:
    """The xdist group of a test: its file's in XDIST_GROUPS, or for a test of the demo city
    (`seeded`, `demo_city`) its module's, so that the city, built once per module and worker,
    is built once per module (spread over three workers, a module built it up to three times:
    one seed_demo is seconds on PostgreSQL)."""
    path = item.nodeid.split("::")[0]
    if path in XDIST_GROUPS:
        return XDIST_GROUPS[path]
    if "demo_city" in getattr(item, "fixturenames", ()):
        return f"demo-city-{path}"
    return None


def _join_group(item, group: str) -> None:
    """What --dist loadgroup does with an xdist_group mark: the group after an @ at the end of
    the test's id, which the scheduler reads to send the group's tests to one worker."""
    nodeid = item.nodeid
    if nodeid.rfind("@") > nodeid.rfind("]"):
        return  # pytest-xdist did it
    if hasattr(item, "_id"):  # pytest >= 9.2 keeps the id structured
        from _pytest.nodeid import NodeId

        item._id = NodeId.parse(f"{nodeid}@{group}")
    else:
        item._nodeid = f"{nodeid}@{group}"


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings):
    """pytest-django's (a test database per xdist worker), each of them a copy of a template
    migrated once, not a migrate per worker; on PostgreSQL emptied with DELETE after a
    transactional test, not TRUNCATE (tests/databases.py)."""
    from django.db import connection

    if connection.vendor == "postgresql":
        from tests.databases import clone_from_template, flush_with_delete

        clone_from_template(connection.creation)
        flush_with_delete(connection.ops)
    elif connection.vendor == "sqlite":
        from tests.databases import sqlite_from_template

        sqlite_from_template(connection.creation)


@pytest.fixture(autouse=True)
def _default_language():
    """Each test starts in Simplified Chinese, whatever the previous test activated."""
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


def _settings_for_tests(tmp_path_factory, tmp_path) -> dict:
    return {
        "SMS_BACKEND": "notifications.backends.LocmemSMSBackend",
        # Demo signing keys (core/signing.py) made once per run, never in the developer's private/.
        "SIGNING_DEMO_DIR": tmp_path_factory.getbasetemp() / "signing-keys",
        # The audit trail's export of signed heads (accounts/audit_seal.py): one file per test.
        "AUDIT_HEAD_EXPORT_DIR": tmp_path / "audit-heads",
        "PASSWORD_HASHERS": ["django.contrib.auth.hashers.MD5PasswordHasher"],
        "ALLOWED_HOSTS": ["testserver", "127.0.0.1", "localhost"],
        # Links in messages and printouts, whatever HOST and PORT the shell running the tests has.
        "SITE_URL": "http://127.0.0.1:8000",
        # Uploads, certificates and stored printouts: one directory per test, never the
        # developer's private/ (a stored booking PDF of one test must not meet another's).
        "PRIVATE_MEDIA_ROOT": tmp_path / "private",
    }


@pytest.fixture(autouse=True)
def _test_settings(settings, tmp_path_factory, tmp_path):
    from django.utils.functional import empty

    from core.uploads import private_storage

    for name, value in _settings_for_tests(tmp_path_factory, tmp_path).items():
        setattr(settings, name, value)
    private_storage._wrapped = empty  # built again from this test's settings
    yield
    private_storage._wrapped = empty


@pytest.fixture
def clock(request):
    """The one frozen clock: time stands at the test module's `NOW` (time-machine, not ticking);
    `clock.shift(…)` and `clock.move_to(…)` move it. Modules freeze every test with
    `pytestmark = pytest.mark.usefixtures("clock")`."""
    import time_machine

    now = getattr(request.module, "NOW", None)
    if now is None:
        raise pytest.UsageError(f"{request.module.__name__} asks for the clock but sets no NOW")
    with time_machine.travel(now, tick=False) as traveller:
        yield traveller


@pytest.fixture
def slot(db):
    """The one slot: tomorrow 10:00 local time (under the module's clock, if frozen), 4 places
    of which 3 bookable online, its schedule offering one service. Modules needing another
    shape (more places, a past visit) define their own."""
    from appointments.tests.factories import SlotFactory

    return SlotFactory()


@pytest.fixture(scope="module")
def demo_city(django_db_setup, django_db_blocker, tmp_path_factory):
    """The demo city built once per test module that asks for it: seed_demo runs in a
    transaction held open around the module's tests (each test's own transaction nests inside
    it as a savepoint and is rolled back as usual) and rolled back after them. Returns what
    seed_demo printed (the admin's sign-in)."""
    import io

    from django.core.management import call_command
    from django.db import transaction
    from django.test import override_settings

    printed = io.StringIO()
    test_settings = _settings_for_tests(tmp_path_factory, tmp_path_factory.mktemp("demo-city"))
    with django_db_blocker.unblock(), override_settings(**test_settings):
        outer = transaction.atomic()
        outer.__enter__()
        try:
            call_command("seed_demo", stdout=printed)
            yield printed.getvalue()
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


@pytest.fixture
def seeded(demo_city, db):
    """The demo city (built once per module, `demo_city`); what seed_demo printed."""
    return demo_city


@pytest.fixture
def admin_client(db, admin_user):
    """pytest-django's admin_client, signed in past the second factor the admin requires."""
    from django.test import Client

    from accounts.tests.factories import verify_session

    return verify_session(Client(), admin_user)


@pytest.fixture
def verified_client(db):
    """`verified_client(user)`: a client signed in as `user` with password and second factor."""
    from django.test import Client

    from accounts.tests.factories import verify_session

    return lambda user: verify_session(Client(), user)


def pytest_addoption(parser):
    parser.addoption("--screenshots", action="store_true", help="refresh docs/screenshots/")
