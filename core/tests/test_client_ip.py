"""Rate limits and lockouts count the client behind the configured proxies, not the proxy."""

from django.test import RequestFactory

from core.client_ip import client_ip


def test_without_a_proxy_the_forwarded_header_is_ignored(settings):
    settings.AXES_IPWARE_PROXY_COUNT = 0
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="1.2.3.4")
    assert client_ip(request) == "10.0.0.1"


def test_behind_one_proxy_the_address_it_appended_counts_and_spoofed_ones_do_not(settings):
    settings.AXES_IPWARE_PROXY_COUNT = 1
    request = RequestFactory().get(
        "/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.9"
    )
    assert client_ip(request) == "203.0.113.9"
