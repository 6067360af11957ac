"""The client's address, for sign-in lockouts (django-axes calls `client_ip`), rate limits and
records.

Behind N trusted reverse proxies (`AXES_IPWARE_PROXY_COUNT`, from the environment) the client is
the address the outermost trusted proxy appended to X-Forwarded-For: the N-th entry from the
right. Entries further left are whatever the client chose to send, so they are never trusted;
with no proxy configured the header is ignored altogether.
"""

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str:
    remote = request.META.get("REMOTE_ADDR", "")
    proxies = getattr(settings, "AXES_IPWARE_PROXY_COUNT", 0) or 0
    if proxies <= 0:
        return remote
    chain = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    chain = [part for part in chain if part]
    return chain[-proxies] if len(chain) >= proxies else remote
