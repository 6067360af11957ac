"""API clients: created with a command that shows the token once, stored only as a hash, and
revoked in the admin."""

import datetime as dt
import hashlib
import io
import json

import pytest
import time_machine
from django.core.cache import cache
from django.core.management import CommandError, call_command
from django.urls import reverse

from accounts.actions import api_client_create
from accounts.models import ApiClient

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2025, 6, 4, 2, 0, tzinfo=dt.UTC)
# A write endpoint: with a valid token an empty body is a 400 (input), without one a 401.
WRITE_URL = "/api/v1/bookings/"


@pytest.fixture(autouse=True)
def _fresh_throttle():
    cache.clear()
    yield
    cache.clear()


def write(client, token: str | None):
    headers = {"HTTP_AUTHORIZATION": f"Token {token}"} if token else {}
    return client.post(WRITE_URL, json.dumps({}), content_type="application/json", **headers)


def test_the_command_prints_the_token_last_and_the_token_works(client):
    out = io.StringIO()
    call_command("create_api_client", "WeChat mini program", stdout=out)

    token = out.getvalue().strip().splitlines()[-1]

    assert len(token) >= 40
    assert write(client, token).status_code == 400
    assert write(client, None).status_code == 401
    assert write(client, token[:-1] + ("A" if token[-1] != "A" else "B")).status_code == 401


def test_only_a_hash_of_the_token_is_stored():
    client, token = api_client_create(name="partner")
    stored = ApiClient.objects.values().get(pk=client.pk)
    assert token not in [str(value) for value in stored.values()]
    assert stored["token_hash"] == hashlib.sha256(token.encode()).hexdigest()
    assert stored["token_prefix"] == token[:8]
    assert stored["rate"] == "120/minute"


def test_a_name_is_unique_and_a_rate_must_be_readable():
    api_client_create(name="partner")
    with pytest.raises(CommandError):
        call_command("create_api_client", "partner", stdout=io.StringIO())
    with pytest.raises(CommandError):
        call_command("create_api_client", "other", "--rate", "lots", stdout=io.StringIO())
    assert ApiClient.objects.count() == 1


def test_a_revoked_token_is_refused(client):
    api, token = api_client_create(name="partner")
    ApiClient.objects.filter(pk=api.pk).update(is_active=False)

    response = write(client, token)

    assert response.status_code == 401
    assert response.json()["error"] == "authentication_failed"


def test_reads_need_no_token_but_a_bad_one_is_refused(client):
    assert client.get("/api/v1/services/").status_code == 200
    bad = client.get("/api/v1/services/", HTTP_AUTHORIZATION="Token wrong")
    assert bad.status_code == 401


def test_last_use_is_recorded_at_most_once_a_minute(client):
    api, token = api_client_create(name="partner")
    with time_machine.travel(NOW, tick=False):
        write(client, token)
    api.refresh_from_db()
    assert api.last_used_at == NOW
    with time_machine.travel(NOW + dt.timedelta(seconds=30), tick=False):
        write(client, token)
    api.refresh_from_db()
    assert api.last_used_at == NOW
    with time_machine.travel(NOW + dt.timedelta(seconds=90), tick=False):
        write(client, token)
    api.refresh_from_db()
    assert api.last_used_at == NOW + dt.timedelta(seconds=90)


def test_the_admin_shows_the_prefix_and_revokes_but_never_shows_a_token(admin_client):
    api, token = api_client_create(name="partner")
    listing = admin_client.get(reverse("admin:accounts_apiclient_changelist"))
    assert api.token_prefix in listing.content.decode()
    change_url = reverse("admin:accounts_apiclient_change", args=[api.pk])
    page = admin_client.get(change_url).content.decode()
    assert token not in page
    assert 'name="token_hash"' not in page  # shown read-only, not as a field to edit

    response = admin_client.post(change_url, {"rate": "60/minute"})  # "active" unticked

    assert response.status_code == 302
    api.refresh_from_db()
    assert (api.is_active, api.rate) == (False, "60/minute")
    assert admin_client.get(reverse("admin:accounts_apiclient_add")).status_code == 403
