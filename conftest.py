"""Shared fixtures for the whole suite."""

import pytest

# `make test` runs the suite on pytest-xdist workers (--dist loadgroup). These run on one worker,
# one after the other: the tests that start real processes (gunicorn, Celery workers and beats,
# pg_dump) would starve each other of the machine's cores and miss their
# deadlines, and the translation test rewrites locale/zh_Hans/LC_MESSAGES/django.po for a
# moment (and puts it back) while its neighbour reads it.
XDIST_GROUPS = {
    "tests/test_process_manager.py": "real-processes",
    "tests/test_beat_lock.py": "real-processes",
    "tests/test_worker_kill.py": "real-processes",
    "tests/test_backup_restore.py": "real-processes",
    "core/tests/test_translations.py": "locale-files",
}


# Started first: the dev server's test waits about a minute for the release job (every 60 s) and
# needs little CPU meanwhile; collected last (it uses no test database, and pytest-django puts
# those last) it kept one worker busy for that minute after the other had finished. Moving a
# test without the test database keeps pytest-django's order of the database tests.
STARTED_FIRST = "tests/test_dev_server.py::"


def pytest_collection_modifyitems(items):
    for item in items:
        group = XDIST_GROUPS.get(item.nodeid.split("::")[0])
        if group:
            item.add_marker(pytest.mark.xdist_group(group))
    items.sort(key=lambda item: not item.nodeid.startswith(STARTED_FIRST))


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
