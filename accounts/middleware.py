"""Staff sessions: the second factor, checked in one place, and the idle timeout.

`StaffSecondFactorMiddleware` guards every URL under the staff prefix (/<lang>/staff/) and the
admin prefix (/<lang>/admin/), in every language, whether or not the URL exists: a session that
has not passed the second factor is sent to the staff sign-in. Only the views marked with
`second_factor_exempt` (sign-in, code, enrolment, sign-out) answer without it.

`StaffIdleTimeoutMiddleware` signs a staff member out after STAFF_IDLE_MINUTES without a request
(background polls of live pages, marked with the X-OneWindow-Poll header, do not count).
"""

import datetime as dt
from collections.abc import Callable
from functools import cache

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.urls import Resolver404, resolve, reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from .admin_site import is_verified

LAST_SEEN_KEY = "staff_last_seen"
POLL_HEADER = "X-OneWindow-Poll"
LAST_SEEN_EVERY = dt.timedelta(seconds=30)


def second_factor_exempt(view: Callable) -> Callable:
    """Mark a staff view as reachable before the second factor (the sign-in steps only)."""
    view.second_factor_exempt = True
    return view


@cache
def guarded_prefixes() -> tuple[str, ...]:
    prefixes = []
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            prefixes += [reverse("staff:home"), reverse("admin:index")]
    return tuple(prefixes)


def is_guarded(path: str) -> bool:
    return path.startswith(guarded_prefixes())


def is_exempt(path: str) -> bool:
    try:
        match = resolve(path)
    except Resolver404:
        return False
    return getattr(match.func, "second_factor_exempt", False)


class StaffSecondFactorMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        path = request.path_info
        if is_guarded(path) and not is_verified(request) and not is_exempt(path):
            if request.headers.get("HX-Request"):
                # A live page polling in the background: send the whole window to the sign-in,
                # rather than letting htmx paste the sign-in form into a fragment.
                response = HttpResponse(status=204)
                response["HX-Redirect"] = reverse("staff:signin")
                return response
            return redirect_to_login(request.get_full_path(), login_url=reverse("staff:signin"))
        return self.get_response(request)


def _is_staff_session(request: HttpRequest) -> bool:
    user = request.user
    return user.is_authenticated and (user.is_staff or user.is_superuser)


class StaffIdleTimeoutMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if _is_staff_session(request):
            now = timezone.now()
            last_seen = request.session.get(LAST_SEEN_KEY)
            idle = dt.timedelta(minutes=settings.STAFF_IDLE_MINUTES)
            if last_seen is not None and now - dt.datetime.fromisoformat(last_seen) > idle:
                logout(request)
                messages.info(
                    request,
                    _("You were signed out after %(minutes)s minutes without activity.")
                    % {"minutes": settings.STAFF_IDLE_MINUTES},
                )
            elif not request.headers.get(POLL_HEADER) and (
                last_seen is None or now - dt.datetime.fromisoformat(last_seen) >= LAST_SEEN_EVERY
            ):
                # Background refreshes of live pages are not activity: an unattended console
                # must still time out. Written at most every LAST_SEEN_EVERY: a clerk's clicks
                # do not each cost a session write.
                request.session[LAST_SEEN_KEY] = now.isoformat()
        return self.get_response(request)
