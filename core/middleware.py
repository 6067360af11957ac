"""Cache-Control for pages and API answers.

Most pages carry personal data (a booking found by its code, a request's status, a followed
mailbox message, the account and staff pages), and even a public page names the signed-in person
in its header. Every response the application makes therefore goes out `private, no-store` (no
shared proxy keeps it, no browser writes it to disk) unless its view set a Cache-Control of its
own (the certificate keys, meant for caching). Static files never reach this middleware:
WhiteNoise, earlier in the chain, serves them.
"""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_cache_control

PRIVATE = "private, no-store"


class PrivateCacheMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        current = response.get("Cache-Control")
        if current is None:
            response["Cache-Control"] = PRIVATE
        elif "no-store" in current and "private" not in current:
            patch_cache_control(response, private=True)
        return response
