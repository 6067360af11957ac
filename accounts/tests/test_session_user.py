"""The signed-in user of each request, read by accounts/session_user.py in one plain statement:
the same answers as Django's get_user, whatever happened to the account since the sign-in."""

import pytest
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.tests.factories import staff
from services.tests.factories import CounterFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def clerk_at():
    counter = CounterFactory()
    return counter, staff("clerk", office=counter.office)


def _console(client, counter):
    return client.get(reverse("console:counter", args=[counter.pk]))


def _signed_out(response) -> bool:
    return response.status_code == 302 and reverse("staff:signin") in response["Location"]


def test_a_signed_in_clerk_is_read_in_one_statement_and_stays_signed_in(
    verified_client, clerk_at
):
    counter, clerk = clerk_at
    client = verified_client(clerk)
    assert _console(client, counter).status_code == 200
    with CaptureQueriesContext(connection) as queries:
        page = _console(client, counter)
    assert page.status_code == 200 and page.wsgi_request.user.pk == clerk.pk
    reads = [q["sql"] for q in queries.captured_queries if "FROM \"accounts_user\"" in q["sql"]]
    assert len(reads) == 1 and reads[0].startswith('SELECT t."id"'), reads  # core.rows, not ORM


def test_a_password_changed_elsewhere_signs_the_session_out(verified_client, clerk_at):
    counter, clerk = clerk_at
    client = verified_client(clerk)
    assert _console(client, counter).status_code == 200
    clerk.set_password("a-new-long-passphrase-42")
    clerk.save()
    assert _signed_out(_console(client, counter))
    assert HASH_SESSION_KEY not in client.session  # flushed, as Django's get_user does


def test_a_deactivated_clerk_is_signed_out_at_the_next_request(verified_client, clerk_at):
    counter, clerk = clerk_at
    client = verified_client(clerk)
    assert _console(client, counter).status_code == 200
    clerk.is_active = False
    clerk.save()
    assert _signed_out(_console(client, counter))


def test_a_session_signed_with_a_previous_secret_key_stays_signed_in(
    verified_client, clerk_at, settings
):
    counter, clerk = clerk_at
    client = verified_client(clerk)
    old_hash = client.session[HASH_SESSION_KEY]
    settings.SECRET_KEY_FALLBACKS = [settings.SECRET_KEY]
    settings.SECRET_KEY = "a-rotated-secret-key-" + "x" * 40
    assert _console(client, counter).status_code == 200
    assert client.session[HASH_SESSION_KEY] != old_hash  # re-signed with the new key


def test_a_session_of_a_backend_no_longer_listed_is_anonymous(verified_client, clerk_at):
    counter, clerk = clerk_at
    client = verified_client(clerk)
    session = client.session
    session[BACKEND_SESSION_KEY] = "accounts.backends.RemovedBackend"
    session.save()
    assert _signed_out(_console(client, counter))
