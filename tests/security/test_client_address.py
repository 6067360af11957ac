"""Finding: a forged X-Forwarded-For lifted the API's per-address limits (DRF's default
`get_ident` believes the header). Every limit now counts by core.client_ip."""

import itertools

import pytest
from django.test import Client, RequestFactory

from core.client_ip import client_ip

pytestmark = pytest.mark.django_db
_n = itertools.count(1)


def forged() -> str:
    n = next(_n)
    return f"198.51.{n // 250}.{n % 250 + 1}"


def test_forged_forwarded_addresses_do_not_lift_the_api_lookup_limit(settings):
    """The red team's 1,031 guesses in 13 s: now the 21st request of one address is refused,
    whatever X-Forwarded-For says (api_lookup: 20/minute)."""
    api = Client()
    answers = [
        api.get("/api/v1/bookings/ZZZZZZZZ/", {"id_last4": f"{n:04d}"},
                HTTP_X_FORWARDED_FOR=forged()).status_code
        for n in range(25)
    ]
    assert answers[:20] == [404] * 20
    assert set(answers[20:]) == {429}


def test_forged_forwarded_addresses_do_not_lift_the_anonymous_limit(settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
                                   "anon": "3/minute"},
    }
    answers = [Client().get("/api/v1/services/", HTTP_X_FORWARDED_FOR=forged()).status_code
               for _ in range(5)]
    assert answers == [200, 200, 200, 429, 429]


def test_forged_forwarded_addresses_do_not_lift_the_certificate_verify_limit(settings):
    answers = [
        Client().get("/api/v1/certificates/verify/", {"number": "WFZ-2026-1", "code": "X" * 28},
                     HTTP_X_FORWARDED_FOR=forged()).status_code
        for _ in range(22)
    ]
    assert answers[:20] == [200] * 20 and set(answers[20:]) == {429}


def test_behind_a_trusted_proxy_each_client_is_counted_apart(settings):
    """TRUSTED_PROXIES: the load balancer's addresses; the client is what it appended."""
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    balancer = {"REMOTE_ADDR": "10.1.2.3"}
    for n in range(20):
        Client().get("/api/v1/bookings/ZZZZZZZZ/", {"id_last4": f"{n:04d}"},
                     HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.7", **balancer)
    refused = Client().get("/api/v1/bookings/ZZZZZZZZ/", {"id_last4": "0000"},
                           HTTP_X_FORWARDED_FOR=f"{forged()}, 203.0.113.7", **balancer)
    assert refused.status_code == 429  # the forged left part changed nothing
    other = Client().get("/api/v1/bookings/ZZZZZZZZ/", {"id_last4": "0000"},
                         HTTP_X_FORWARDED_FOR="203.0.113.8", **balancer)
    assert other.status_code == 404


@pytest.mark.parametrize(
    ("trusted", "count", "peer", "header", "client"),
    [
        ([], 0, "10.0.0.1", "1.2.3.4", "10.0.0.1"),  # no proxy configured: header ignored
        (["10.0.0.0/8"], 0, "192.0.2.5", "1.2.3.4", "192.0.2.5"),  # peer is not our proxy
        (["10.0.0.0/8"], 0, "10.0.0.1", "6.6.6.6, 203.0.113.9", "203.0.113.9"),
        (["10.0.0.0/8"], 0, "10.0.0.1", "6.6.6.6, 203.0.113.9, 10.0.0.2", "203.0.113.9"),
        (["10.0.0.0/8"], 0, "10.0.0.1", "not-an-address", "10.0.0.1"),
        (["2001:db8::/32"], 0, "2001:db8::1", "2001:db8::2, 240e::1", "240e::1"),
        ([], 1, "10.0.0.1", "6.6.6.6, 203.0.113.9", "203.0.113.9"),
        ([], 2, "10.0.0.1", "203.0.113.9", "10.0.0.1"),  # fewer entries than proxies
    ],
)
def test_the_client_address_rule(settings, trusted, count, peer, header, client):
    settings.TRUSTED_PROXIES, settings.AXES_IPWARE_PROXY_COUNT = trusted, count
    request = RequestFactory().get("/", REMOTE_ADDR=peer, HTTP_X_FORWARDED_FOR=header)
    assert client_ip(request) == client


def test_every_limit_uses_the_one_rule(settings):
    from core.api import AnonIpRateThrottle, ClientRateThrottle, LookupRateThrottle
    from documents.api_verify import VerifyRateThrottle

    settings.TRUSTED_PROXIES = []
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="6.6.6.6")
    for throttle in (AnonIpRateThrottle, ClientRateThrottle, LookupRateThrottle,
                     VerifyRateThrottle):
        assert throttle().get_ident(request) == "10.0.0.1"
    assert settings.AXES_CLIENT_IP_CALLABLE == "core.client_ip.client_ip"
    defaults = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_CLASSES"]
    assert defaults == ["core.throttles.AnonIpRateThrottle"]


@pytest.mark.parametrize("first", ["core.api", "core.throttles", "core.parsers", "config.urls"])
def test_the_api_settings_import_whichever_module_comes_first(first):
    """DRF's APIView reads the default throttle and parser classes when it is first imported:
    a fresh process (a gunicorn worker) must start whichever module it imports first."""
    import os
    import subprocess
    import sys

    code = f"import django; django.setup(); import {first}; import rest_framework.views"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env={**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings"},
                          timeout=60)
    assert done.returncode == 0, done.stderr[-2000:]
