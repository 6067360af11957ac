"""`request.user` from the session with the user's row read in one plain statement.

Django's AuthenticationMiddleware reads the signed-in user through ModelBackend.get_user, an
ORM query (`User.objects.get(pk=…)`) whose building and compiling cost several times the
statement: about a tenth of the server's CPU for a clerk's console key. This middleware is
Django's own, with one change: for a session signed in through ModelBackend (every sign-in of
OneWindow: the other backends authenticate nobody), the row is read by core.rows (same
columns, same conversions, no ORM) and accepted on the same terms as Django's get_user (an
active user whose session hash matches the current secret). Anything else goes to
`django.contrib.auth.get_user` unchanged: another backend, a session signed with a previous
SECRET_KEY (Django re-signs it), a changed password (the session is flushed), an unknown or
inactive user. Sessions keep their format (the backend's dotted path stays ModelBackend's),
so nobody is signed out by this.

The user row is still read on every request: deactivation and password changes keep taking
effect at once (accounts/staff_context.py caches only the roles and the device).
"""

from django.conf import settings
from django.contrib import auth
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.auth.middleware import AuthenticationMiddleware as DjangoAuthentication
from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest
from django.utils.crypto import constant_time_compare
from django.utils.functional import SimpleLazyObject

from core.rows import rows_where

from .models import User

MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"


def session_user(request: HttpRequest) -> User | AnonymousUser:
    """What `django.contrib.auth.get_user(request)` returns, in one plain statement when the
    session is a ModelBackend sign-in that checks out (see the module's docstring)."""
    session = request.session
    try:
        user_id = User._meta.pk.to_python(session[SESSION_KEY])
        backend = session[BACKEND_SESSION_KEY]
    except KeyError:
        return AnonymousUser()
    if backend != MODEL_BACKEND or MODEL_BACKEND not in settings.AUTHENTICATION_BACKENDS:
        return auth.get_user(request)
    found = rows_where(User, id=user_id)
    user = found[0] if found else None
    stored = session.get(HASH_SESSION_KEY)
    if (
        user is None
        or not user.is_active  # ModelBackend.user_can_authenticate
        or not stored
        or not constant_time_compare(stored, user.get_session_auth_hash())
    ):
        return auth.get_user(request)  # Django's own rules: fallback secrets, flush
    return user


def _cached_session_user(request: HttpRequest) -> User | AnonymousUser:
    if not hasattr(request, "_cached_user"):  # where Django's middleware keeps it
        request._cached_user = session_user(request)  # type: ignore[attr-defined]
    return request._cached_user  # type: ignore[attr-defined]


class AuthenticationMiddleware(DjangoAuthentication):
    """django.contrib.auth's middleware with `request.user` from session_user (`auser`, for
    async views, stays Django's)."""

    def process_request(self, request: HttpRequest) -> None:
        super().process_request(request)
        request.user = SimpleLazyObject(lambda: _cached_session_user(request))  # type: ignore[assignment]
