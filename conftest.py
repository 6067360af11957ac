"""Shared fixtures for the whole suite."""

import pytest


@pytest.fixture(autouse=True)
def _default_language():
    """Each test starts in Simplified Chinese, whatever the previous test activated."""
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def _test_settings(settings, tmp_path_factory, tmp_path):
    settings.SMS_BACKEND = "notifications.backends.LocmemSMSBackend"
    # Demo signing keys (core/signing.py) made once per run, never in the developer's private/.
    settings.SIGNING_DEMO_DIR = tmp_path_factory.getbasetemp() / "signing-keys"
    # The audit trail's export of signed heads (accounts/audit_seal.py): one file per test.
    settings.AUDIT_HEAD_EXPORT_DIR = tmp_path / "audit-heads"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.ALLOWED_HOSTS = ["testserver", "127.0.0.1", "localhost"]
    # Links in messages and printouts, whatever HOST and PORT the shell running the tests has.
    settings.SITE_URL = "http://127.0.0.1:8000"


@pytest.fixture
def seeded(db):
    """The demo city, loaded once per test that asks for it."""
    from django.core.management import call_command

    call_command("seed_demo", "--quiet")


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
