"""`Authorization: Token <token>` for partner systems (accounts.ApiClient).

request.user stays AnonymousUser (a client is not a person); request.auth is the ApiClient.
"""

import hmac

from django.contrib.auth.models import AnonymousUser
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions

from core.rows import rows_where

from .actions import api_client_touch, api_token_hash
from .models import ApiClient

KEYWORD = "Token"


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
        api_client_touch(client=client)
        return AnonymousUser(), client

    def _client_for(self, token: str) -> ApiClient:
        digest = api_token_hash(token)
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
