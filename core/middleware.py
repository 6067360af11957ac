"""Cache-Control for pages and API answers.

Most pages carry personal data (a booking found by its code, a request's status, a followed
mailbox message, the account and staff pages), and even a public page names the signed-in person
in its header. Every response the application makes therefore goes out `private, no-store` (no
shared proxy keeps it, no browser writes it to disk) unless its view set a Cache-Control of its
own (the certificate keys, meant for caching). Static files never reach this middleware:
WhiteNoise, earlier in the chain, serves them.
"""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils.cache import patch_cache_control, patch_vary_headers

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


# --- 长辈版 (large-type mode) ------------------------------------------------------------------
# The resident's choice is a cookie (no account needed: most residents never sign in), set from
# the header's switch or from a link carrying ?elder=1 (a text message, a poster's QR code).
# MIIT's 适老化 rules ask for a prominent way in from every page, remembered.

ELDER_COOKIE = "ow_elder"
ELDER_PARAM = "elder"
ELDER_ON, ELDER_OFF = ("1", "on", "true"), ("0", "off", "false")
ELDER_MAX_AGE = 365 * 24 * 3600


class ElderModeMiddleware:
    """Sets `request.elder_mode`. A GET with `?elder=1` (or 0) stores the choice and redirects
    to the same address without the parameter, so that it is not bookmarked or shared by
    accident and every page after it reads the cookie."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        wanted = request.GET.get(ELDER_PARAM, "").lower()
        if request.method in ("GET", "HEAD") and wanted in ELDER_ON + ELDER_OFF:
            return _elder_redirect(request, wanted in ELDER_ON)
        request.elder_mode = request.COOKIES.get(ELDER_COOKIE) == "1"  # type: ignore[attr-defined]
        response = self.get_response(request)
        if response.get("Content-Type", "").startswith("text/html"):
            patch_vary_headers(response, ["Cookie"])
        return response


def _elder_redirect(request: HttpRequest, on: bool) -> HttpResponse:
    params = request.GET.copy()
    params.pop(ELDER_PARAM, None)
    query = params.urlencode()
    response = HttpResponseRedirect(request.path + (f"?{query}" if query else ""))
    response.set_cookie(
        ELDER_COOKIE, "1" if on else "0", max_age=ELDER_MAX_AGE, samesite="Lax", httponly=True,
        secure=request.is_secure(),
    )  # fmt: skip
    response["Cache-Control"] = PRIVATE
    return response
