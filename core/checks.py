"""Deployment checks of our own, run by `manage.py check --deploy`."""

from django.conf import settings
from django.core.checks import Tags, Warning, register


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
    """Certificates signed with the generated demo keys would verify only against those."""
    from .signing import uses_demo_keys

    if not uses_demo_keys():
        return []
    return [
        Warning(
            "Certificates are signed with generated demo keys.",
            hint="Set DOCUMENT_SIGNING_KEY, DOCUMENT_SIGNING_CERT and CERTIFICATE_QR_KEY "
            "(see README: signing keys).",
            id="onewindow.W010",
        )
    ]
