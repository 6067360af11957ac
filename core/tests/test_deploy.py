"""Production settings pass Django's deployment checklist, and insecure defaults don't leak
into production."""

import base64
import os
import secrets
import subprocess
import sys
from pathlib import Path

from django.conf import settings

from core.signing import qr_key_new, self_signed_signer

ROOT = Path(settings.BASE_DIR)


def _manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    skip = {"DJANGO_SETTINGS_MODULE", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    environment = {k: v for k, v in os.environ.items() if k not in skip}
    environment.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


PRODUCTION = {
    "DEBUG": "0",
    "SECRET_KEY": secrets.token_urlsafe(50),
    "ALLOWED_HOSTS": "onewindow.example.org",
    "SITE_URL": "https://onewindow.example.org",
    "DATABASE_URL": "sqlite:////tmp/onewindow-deploy-check.sqlite3",
    "FIELD_ENCRYPTION_KEYS": base64.b64encode(os.urandom(32)).decode(),
    "PII_HMAC_KEY": base64.b64encode(os.urandom(32)).decode(),
    # The issuer's keys (core/signing.py), as PEM text in the environment.
    **dict(zip(("DOCUMENT_SIGNING_KEY", "DOCUMENT_SIGNING_CERT"),
               (pem.decode() for pem in self_signed_signer("deploy check")), strict=True)),
    "CERTIFICATE_QR_KEY": qr_key_new().decode(),
}


def test_check_deploy_is_clean_with_production_settings():
    result = _manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_settings_are_strict():
    script = (
        "from django.conf import settings as s;"
        "print(s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_HSTS_SECONDS > 0,"
        " s.SECURE_SSL_REDIRECT, s.X_FRAME_OPTIONS, s.DEBUG)"
    )
    result = _manage("shell", "-c", script, **PRODUCTION)
    assert result.stdout.strip().splitlines()[-1].split() == [
        "True",
        "True",
        "True",
        "True",
        "DENY",
        "False",
    ], result.stderr


def test_dev_defaults_fail_the_deployment_checklist():
    """The embedded defaults are for a laptop only: the checklist says so."""
    result = _manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DATABASE_URL="sqlite:////tmp/onewindow-deploy-check.sqlite3",
    )
    assert result.returncode != 0


def test_missing_personal_data_keys_fail_the_checklist():
    env = {k: v for k, v in PRODUCTION.items() if k != "FIELD_ENCRYPTION_KEYS"}
    result = _manage("check", "--deploy", "--fail-level", "WARNING", **env)
    assert result.returncode != 0
    assert "onewindow.W001" in result.stdout + result.stderr
