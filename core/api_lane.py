"""A shorter middleware chain for token-authenticated API writes (issue 13 item 5).

A partner's `POST` with `Authorization: Token …` and no session cookie has nothing to do with
sessions, sign-in, CSRF (the API views are exempt), messages, the staff checks, the 长辈版
cookie, htmx or the lockout page: those middlewares only cost it CPU. `ApiLaneMiddleware`, placed
after the waiting room, sends such a request to a view's lane (`settings.API_LANES`: URL name →
a callable `lane(request) -> HttpResponse | None`) through the middlewares that follow it in
`MIDDLEWARE` minus `settings.API_LANE_SKIPS`: the language, Content-Length, X-Frame-Options,
Cache-Control and the audit context still run, and everything before this middleware (request
id, metrics, security headers, CSP, the waiting room) runs as for every request. A middleware
added to `MIDDLEWARE` later runs on the lane too unless it is named in the skips.

`request.user` is what AuthenticationMiddleware would give a request without a session cookie
(AnonymousUser) and `request.resolver_match` is the URL's, so the audit context and the metrics
see what they see on the full chain. When the lane returns None (it is not sure of the request:
another content type, an unknown token, a body to be refused, a refused rate), the request goes
down the full chain untouched, and the view answers it as ever.
"""

from collections.abc import Callable

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import MiddlewareNotUsed
from django.http import HttpRequest, HttpResponse
from django.urls import ResolverMatch, get_script_prefix, resolve, reverse
from django.utils.module_loading import import_string

Lane = Callable[[HttpRequest], HttpResponse | None]
_SELF = f"{__name__}.ApiLaneMiddleware"


class _NotForTheLane(Exception):  # noqa: N818 - a signal, not an error
    pass


class ApiLaneMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self._short: Callable[[HttpRequest], HttpResponse] | None = None
        self._lanes: dict[str, tuple[ResolverMatch, Lane]] | None = None

    def __call__(self, request: HttpRequest) -> HttpResponse:
        lanes = self._lanes if self._lanes is not None else self._build()
        found = lanes.get(request.path_info)
        if (
            found is None
            or request.method != "POST"
            or not request.META.get("HTTP_AUTHORIZATION")
            or settings.SESSION_COOKIE_NAME in request.COOKIES
        ):
            return self.get_response(request)
        assert self._short is not None  # built with the lanes
        request.resolver_match, request._api_lane = found  # type: ignore[attr-defined]
        request.user = AnonymousUser()
        try:
            return self._short(request)
        except _NotForTheLane:
            del request.user
            request.resolver_match = None
            return self.get_response(request)

    def _build(self) -> dict[str, tuple[ResolverMatch, Lane]]:
        lanes = {}
        for name, dotted in settings.API_LANES.items():
            # As request.path_info has it: without the script prefix reverse() puts in front.
            path = "/" + reverse(name)[len(get_script_prefix()) :]
            lanes[path] = (resolve(path), import_string(dotted))
        handler: Callable[[HttpRequest], HttpResponse] = _run_lane
        following = settings.MIDDLEWARE[settings.MIDDLEWARE.index(_SELF) + 1 :]
        for dotted in reversed(following):
            if dotted in settings.API_LANE_SKIPS:
                continue
            try:
                handler = import_string(dotted)(handler)
            except MiddlewareNotUsed:
                continue
        self._short, self._lanes = handler, lanes
        return lanes


def _run_lane(request: HttpRequest) -> HttpResponse:
    response = request._api_lane(request)  # type: ignore[attr-defined]
    if response is None:
        raise _NotForTheLane
    return response
