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
def _test_settings(settings):
    settings.SMS_BACKEND = "notifications.backends.LocmemSMSBackend"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.ALLOWED_HOSTS = ["testserver", "127.0.0.1", "localhost"]


@pytest.fixture
def seeded(db):
    """The demo city, loaded once per test that asks for it."""
    from django.core.management import call_command

    call_command("seed_demo", "--quiet")


def pytest_addoption(parser):
    parser.addoption("--screenshots", action="store_true", help="refresh docs/screenshots/")
