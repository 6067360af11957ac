"""`Authorization: Token <token>` for partner systems (accounts.ApiClient).

request.user stays AnonymousUser (a client is not a person); request.auth is the ApiClient.
"""

import datetime as dt
import hmac
import time

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions

from core.rows import rows_where

from .actions import api_client_touch, api_token_hash
from .models import ApiClient

KEYWORD = "Token"

# Active clients by token hash, kept by each process for API_LOOKUP_CACHE_SECONDS (5 by default):
# a partner's every request would otherwise read its row again. A revoked token (or a changed
# rate) therefore takes effect within that many seconds in every process; 0 reads every time.
# Only tokens that matched an active client are kept, so wrong tokens cannot fill it. (The
# wall clock: a clock set back reads the client again.)
_ACTIVE: dict[str, tuple[float, ApiClient]] = {}  # token hash: (read at, client)
_ACTIVE_MAX = 1000


def client_touch(client: ApiClient) -> None:
    """api_client_touch, and the kept client remembers the use: the next request within the
    minute writes nothing."""
    now = timezone.now()
    api_client_touch(client=client, now=now)
    if client.last_used_at is None or client.last_used_at < now - dt.timedelta(minutes=1):
        client.last_used_at = now


class ApiClientAuthentication(authentication.BaseAuthentication):
    def authenticate(self, request):
        parts = authentication.get_authorization_header(request).split()
        if not parts or parts[0].lower() != KEYWORD.lower().encode():
            return None  # no token: an anonymous (read-only) caller
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed(_("Invalid token header."))
        try:
            token = parts[1].decode()
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        client = self._client_for(token)
        client_touch(client)
        return AnonymousUser(), client

    def _client_for(self, token: str) -> ApiClient:
        digest = api_token_hash(token)
        now, seconds = time.time(), settings.API_LOOKUP_CACHE_SECONDS
        kept = _ACTIVE.get(digest)
        if kept is not None and 0 <= now - kept[0] < seconds:
            return kept[1]
        client = self._client_from_db(token, digest)
        if seconds > 0:
            if len(_ACTIVE) >= _ACTIVE_MAX:
                _ACTIVE.clear()
            _ACTIVE[digest] = (now, client)
        return client

    def _client_from_db(self, token: str, digest: str) -> ApiClient:
        # The prefix narrows the search; the hash comparison takes the same time whatever matches.
        for client in rows_where(ApiClient, token_prefix=token[:8]):  # one plain statement
            if hmac.compare_digest(client.token_hash, digest):
                if not client.is_active:
                    raise exceptions.AuthenticationFailed(_("This token has been revoked."))
                return client
        raise exceptions.AuthenticationFailed(_("Invalid token."))

    def authenticate_header(self, request) -> str:
        return KEYWORD


class ApiClientAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = ApiClientAuthentication
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": (
                "An API client token, sent as `Authorization: Token <token>`. "
                "Create one with `python manage.py create_api_client NAME`."
            ),
        }
