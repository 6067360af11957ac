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
