"""Deployment checks of our own, run by `manage.py check --deploy`."""

from urllib.parse import urlsplit

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register


@register(Tags.security, deploy=True)
def personal_data_keys(app_configs, **kwargs):
    problems = []
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
def signing_keys(app_configs, **kwargs):
    """Certificates signed with generated demo keys verify only against those; configured keys
    that do not load would fail at the first certificate."""
    from .signing import configured_keys_problems, uses_demo_keys

    problems = [
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


@register(Tags.security)
def site_url(app_configs, **kwargs):
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
