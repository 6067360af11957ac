"""System checks of our own.

Start-up checks (tag `startup`) run with every `manage.py` command that checks, with `check`, and
before gunicorn, a Celery worker or beat serves (`refuse_to_start`, called by config/wsgi.py and
config/celery.py): with DEBUG=0 a missing shared cache, a default or short SECRET_KEY or missing
personal-data keys are errors, so a production process never starts with them. Deployment checks
(`check --deploy`) add warnings about what is merely unwise.
"""

import base64
import binascii
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, Warning, register, run_checks
from django.core.exceptions import ImproperlyConfigured

STARTUP = "startup"
# Caches that live in one process (or nowhere): rate limits counted there are per process.
PER_PROCESS_CACHES = ("LocMemCache", "DummyCache")
SECRET_KEY_MIN_LENGTH = 50
INSECURE_SECRET_KEY_PREFIXES = ("dev-only-insecure", "django-insecure")


@register(Tags.caches, Tags.security, STARTUP)
def shared_cache(app_configs: Any, **kwargs: Any) -> list[CheckMessage]:
    if settings.DEBUG:
        return []
    backend = settings.CACHES.get("default", {}).get("BACKEND", "")
    if not backend.endswith(PER_PROCESS_CACHES):
        return []
    return [
        Error(
            f"The default cache is {backend.rsplit('.', 1)[-1]}: rate limits and sign-in "
            "throttles would count per process, so each gunicorn process allows the full limit.",
            hint="Set CACHE_URL to a shared cache, e.g. rediscache://127.0.0.1:6379/1.",
            id="onewindow.E020",
        )
    ]


@register(Tags.security, STARTUP)
def secret_key(app_configs: Any, **kwargs: Any) -> list[CheckMessage]:
    if settings.DEBUG:
        return []
    key = settings.SECRET_KEY or ""
    if key.startswith(INSECURE_SECRET_KEY_PREFIXES):
        problem = "is the embedded development default"
    elif len(key) < SECRET_KEY_MIN_LENGTH or len(set(key)) < 5:
        problem = f"is shorter than {SECRET_KEY_MIN_LENGTH} characters or too simple"
    else:
        return []
    return [
        Error(
            f"SECRET_KEY {problem}: anyone could forge PDF links, offer tokens and sessions.",
            hint="Set SECRET_KEY to a random value of 50+ characters "
            "(python -c 'import secrets; print(secrets.token_urlsafe(50))').",
            id="onewindow.E021",
        )
    ]


def _is_key(value: str) -> bool:
    try:
        return len(base64.b64decode(value.strip(), validate=True)) == 32
    except (binascii.Error, ValueError):
        return False


@register(Tags.security, STARTUP)
def personal_data_keys_set(app_configs: Any, **kwargs: Any) -> list[CheckMessage]:
    if settings.DEBUG:
        return []
    keys = [k for k in settings.FIELD_ENCRYPTION_KEYS if k.strip()]
    problems: list[str] = []
    if not keys or not all(_is_key(k) for k in keys):
        problems.append("FIELD_ENCRYPTION_KEYS is missing or not base64 of 32 bytes")
    if not (settings.PII_HMAC_KEY and _is_key(settings.PII_HMAC_KEY)):
        problems.append("PII_HMAC_KEY is missing or not base64 of 32 bytes")
    return [
        Error(
            f"{text}: ID numbers would be encrypted or indexed with a key derived from SECRET_KEY.",
            hint="Set it to a base64 32-byte key (deploy/prod_setup.py secrets makes them), the "
            "same on every node; README \"Personal data\".",
            id="onewindow.E022",
        )
        for text in problems
    ]


def refuse_to_start() -> None:
    """Raise ImproperlyConfigured when a start-up check fails: production processes call it
    before serving, whatever starts them (supervisor, systemd, a shell)."""
    errors = [m for m in run_checks(tags=[STARTUP]) if m.is_serious() and not m.is_silenced()]
    if errors:
        raise ImproperlyConfigured("\n".join(str(message) for message in errors))


@register(Tags.security, deploy=True)
def personal_data_keys(app_configs: Any, **kwargs: Any) -> list[CheckMessage]:
    if not settings.DEBUG:
        return []  # an error at start-up already (onewindow.E022)
    problems: list[CheckMessage] = []
    if not settings.FIELD_ENCRYPTION_KEYS:
        problems.append(
            Warning(
                "FIELD_ENCRYPTION_KEYS is not set: ID numbers are encrypted with a key derived "
                "from SECRET_KEY.",
                hint="Set FIELD_ENCRYPTION_KEYS to a base64 32-byte key.",
                id="onewindow.W001",
            )
        )
    if not settings.PII_HMAC_KEY:
        problems.append(
            Warning(
                "PII_HMAC_KEY is not set: lookup digests use a key derived from SECRET_KEY.",
                hint="Set PII_HMAC_KEY to a base64 32-byte key.",
                id="onewindow.W002",
            )
        )
    return problems


@register(Tags.security, deploy=True)
def signing_keys(app_configs: Any, **kwargs: Any) -> list[CheckMessage]:
    """Certificates signed with generated demo keys verify only against those; configured keys
    that do not load would fail at the first certificate."""
    from .signing import configured_keys_problems, uses_demo_keys

    problems: list[CheckMessage] = [
        Error(f"Signing key problem: {text}", hint="See README: certificates, signing keys.",
              id="onewindow.E011")
        for text in configured_keys_problems()
    ]
    if uses_demo_keys():
        problems.append(
            Warning(
                "Certificates are signed with generated demo keys.",
                hint="Set DOCUMENT_SIGNING_KEY, DOCUMENT_SIGNING_CERT and CERTIFICATE_QR_KEY "
                "(see README: signing keys).",
                id="onewindow.W010",
            )
        )
    return problems


def _inside(path: Path, roots: list[Path]) -> bool:
    path = path.resolve()
    return any(path == root or root in path.parents for root in roots)


@register(Tags.security, deploy=True)
def keys_outside_the_media(app_configs: Any, **kwargs: Any) -> list[CheckMessage]:
    """Key files under MEDIA_ROOT or PRIVATE_MEDIA_ROOT travel with every media backup."""
    from .signing import uses_demo_keys

    roots = [Path(settings.MEDIA_ROOT).resolve(), Path(settings.PRIVATE_MEDIA_ROOT).resolve()]
    places = {"KEYS_DIR": settings.KEYS_DIR}
    if uses_demo_keys():
        places["SIGNING_DEMO_DIR"] = settings.SIGNING_DEMO_DIR
    for name in ("DOCUMENT_SIGNING_KEY", "CERTIFICATE_QR_KEY"):
        value = getattr(settings, name).strip()
        if value and not value.startswith("-----BEGIN"):
            places[name] = value
    return [
        Warning(
            f"{name} ({path}) is inside MEDIA_ROOT or PRIVATE_MEDIA_ROOT: the media backup "
            "would carry the keys.",
            hint="Keep key files in KEYS_DIR (default keys/), e.g. mv private/signing "
            "keys/signing; docs/deploy.md \"Backup and restore\".",
            id="onewindow.W012",
        )
        for name, path in places.items()
        if _inside(Path(path), roots)
    ]


@register(Tags.security)
def site_url(app_configs: Any, **kwargs: Any) -> list[CheckMessage]:
    """Links in SMS, e-mail, PDFs and QR codes are built on SITE_URL (core/links.py): production
    has no address to guess it from, and a wrong one sends residents elsewhere."""
    if settings.DEBUG:
        return []
    parts = urlsplit(settings.SITE_URL)
    if parts.scheme in ("http", "https") and parts.netloc and parts.path in ("", "/"):
        return []
    return [
        Error(
            f"SITE_URL is {'not set' if not settings.SITE_URL else repr(settings.SITE_URL)}: "
            "links in SMS, e-mail, PDFs, calendar files and QR codes need the public address.",
            hint="Set SITE_URL to the address residents use, e.g. https://onewindow.example.gov.cn",
            id="onewindow.E017",
        )
    ]


@register(Tags.compatibility, deploy=True)
def push_without_redis(app_configs: Any, **kwargs: Any) -> list[CheckMessage]:
    """Pushed updates (core/push.py) cross processes only through Redis pub/sub."""
    if settings.DEBUG or settings.PUSH_REDIS_URL:
        return []
    return [
        Warning(
            "PUSH_REDIS_URL is not set: the push server refuses every stream (503), so "
            "waiting-room screens, clerks' boards and ticket pages poll instead of being pushed "
            "their updates.",
            hint="Set PUSH_REDIS_URL, e.g. redis://127.0.0.1:6379/0 (docs/deploy.md, "
            '"Pushed updates").',
            id="onewindow.W020",
        )
    ]
