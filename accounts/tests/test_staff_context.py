"""A staff member's roles and second-factor device, read once per session and kept in the cache
(accounts/staff_context.py): later requests do not ask the database again, and a change of a
role or a device takes effect on the very next request, whoever makes it."""

import contextlib

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.actions import staff_role_grant, staff_role_revoke
from accounts.models import StaffRole
from accounts.tests.factories import staff
from services.tests.factories import CounterFactory

pytestmark = pytest.mark.django_db(transaction=True)  # invalidation runs on commit


@pytest.fixture(
    autouse=True, params=["django.contrib.sessions.backends.db", "accounts.session_store"]
)
def session_engine(request, settings):
    """Every test with the tests' sessions and with production's (cached_db whose read brings
    the standing along: accounts/session_store.py)."""
    settings.SESSION_ENGINE = request.param
    return request.param


@pytest.fixture
def two_counters():
    return CounterFactory(), CounterFactory()


def _console(client, counter) -> int:
    return client.get(reverse("console:counter", args=[counter.pk])).status_code


def _tables(queries) -> str:
    return " ".join(q["sql"] for q in queries.captured_queries)


def test_a_second_request_reads_neither_the_roles_nor_the_device(verified_client, two_counters):
    here, _elsewhere = two_counters
    client = verified_client(staff("clerk", office=here.office))
    assert _console(client, here) == 200
    with CaptureQueriesContext(connection) as queries:
        assert _console(client, here) == 200
    assert "accounts_staffrole" not in _tables(queries)
    assert "otp_totp_totpdevice" not in _tables(queries)
    assert "auth_permission" not in _tables(queries)  # the role answers, not ModelBackend


def test_a_revoked_role_takes_effect_on_the_next_request(verified_client, two_counters):
    here, elsewhere = two_counters
    clerk = staff("clerk", office=here.office)
    staff_role_grant(user=clerk, role="clerk", office=elsewhere.office)
    client = verified_client(clerk)
    assert _console(client, elsewhere) == 200
    assert _console(client, elsewhere) == 200  # answered from the cache
    staff_role_revoke(staff_role=StaffRole.objects.get(user=clerk, office=elsewhere.office))
    assert _console(client, elsewhere) == 404
    assert _console(client, here) == 200


def test_a_role_granted_outside_the_actions_takes_effect_on_the_next_request(
    verified_client, two_counters
):
    here, elsewhere = two_counters
    clerk = staff("clerk", office=here.office)
    client = verified_client(clerk)
    assert _console(client, elsewhere) == 404
    StaffRole.objects.create(user=clerk, role="clerk", office=elsewhere.office)  # the shell
    assert _console(client, elsewhere) == 200


def test_a_removed_device_ends_the_second_factor_on_the_next_request(verified_client, two_counters):
    here, _elsewhere = two_counters
    clerk = staff("clerk", office=here.office)
    client = verified_client(clerk)
    assert _console(client, here) == 200
    assert _console(client, here) == 200
    TOTPDevice.objects.filter(user=clerk).delete()
    response = client.get(reverse("console:counter", args=[here.pk]))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("staff:signin"))


def test_another_users_session_never_gets_the_cached_standing(verified_client, two_counters):
    here, elsewhere = two_counters
    first = verified_client(staff("clerk", office=here.office))
    second = verified_client(staff("clerk", office=elsewhere.office))
    assert _console(first, here) == 200
    assert _console(second, here) == 404
    assert _console(second, elsewhere) == 200
    assert _console(first, elsewhere) == 404


@contextlib.contextmanager
def _uncounted(cache, get, get_many):
    counted = cache.get, cache.get_many
    cache.get, cache.get_many = get, get_many
    try:
        yield
    finally:
        cache.get, cache.get_many = counted


def test_a_session_seen_before_reads_its_standing_with_the_session(
    verified_client, two_counters, session_engine
):
    if session_engine != "accounts.session_store":
        pytest.skip("production's session engine only")
    from django.core.cache import cache

    here, _elsewhere = two_counters
    client = verified_client(staff("clerk", office=here.office))
    assert _console(client, here) == 200
    reads: list = []
    real_get, real_get_many = cache.get, cache.get_many

    def counted(real):
        def read(*args, **kwargs):
            reads.append(args[0])
            with _uncounted(cache, real_get, real_get_many):  # the cache's own get_many loops
                return real(*args, **kwargs)

        return read

    cache.get, cache.get_many = counted(real_get), counted(real_get_many)
    try:
        with CaptureQueriesContext(connection) as queries:
            assert _console(client, here) == 200
    finally:
        del cache.get, cache.get_many
    assert len(reads) == 1, reads  # the session, the user's generation and the standing at once
    assert "django_session" not in _tables(queries)
    assert "accounts_staffrole" not in _tables(queries)
