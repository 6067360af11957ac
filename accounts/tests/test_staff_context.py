"""A staff member's roles and second-factor device, read once per session and kept in the cache
(accounts/staff_context.py): later requests do not ask the database again, and a change of a
role or a device takes effect on the very next request, whoever makes it."""

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
