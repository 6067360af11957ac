"""Production settings pass Django's deployment checklist, insecure defaults don't leak into
production, and a production process refuses to start on an unsafe configuration."""

import base64
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
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
    # Checked by its kind only: nothing connects to it.
    "CACHE_URL": "rediscache://127.0.0.1:6379/1",
    "PUSH_REDIS_URL": "redis://127.0.0.1:6379/0",  # pushed updates (docs/deploy.md)
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


def without(*names: str, **changes: str) -> dict[str, str]:
    return {**{k: v for k, v in PRODUCTION.items() if k not in names}, **changes}


UNSAFE = {
    "no shared cache": (without("CACHE_URL"), "onewindow.E020", "LocMemCache"),
    "a dummy cache": (without(CACHE_URL="dummycache://"), "onewindow.E020", "DummyCache"),
    "the default SECRET_KEY": (without("SECRET_KEY"), "onewindow.E021", "development default"),
    "a short SECRET_KEY": (without(SECRET_KEY=secrets.token_urlsafe(20)), "onewindow.E021",
                           "shorter than 50"),
    "no field encryption key": (without("FIELD_ENCRYPTION_KEYS"), "onewindow.E022",
                                "FIELD_ENCRYPTION_KEYS is missing"),
    "a field key that is no key": (without(FIELD_ENCRYPTION_KEYS="not-a-key"), "onewindow.E022",
                                   "FIELD_ENCRYPTION_KEYS"),
    "no HMAC key": (without("PII_HMAC_KEY"), "onewindow.E022", "PII_HMAC_KEY is missing"),
}  # fmt: skip


@pytest.mark.parametrize("case", UNSAFE)
def test_with_debug_off_the_system_check_refuses_an_unsafe_configuration(case):
    env, check_id, words = UNSAFE[case]
    result = _manage("check", **env)  # plain `check`, as every manage.py command runs it
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    assert check_id in output and words in output
    assert output.count("onewindow.E02") == 1  # only what is wrong is named


def test_with_debug_on_the_embedded_defaults_pass_the_system_check():
    """`make run`: no cache, no keys, no SECRET_KEY configured, and nothing refused."""
    result = _manage("check", DATABASE_URL="sqlite:////tmp/onewindow-deploy-check.sqlite3")
    assert result.returncode == 0, result.stdout + result.stderr


def test_gunicorn_and_celery_refuse_to_start_on_an_unsafe_configuration(tmp_path):
    """The processes themselves check too (config/wsgi.py, config/celery.py), whatever starts
    them: gunicorn stops with "Worker failed to boot", a worker exits."""
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env.update(without("CACHE_URL"), PORT=str(free_port()), WEB_WORKERS="1",
               VENV=str(Path(sys.executable).parent.parent),
               BEAT_SCHEDULE_FILE=str(tmp_path / "celerybeat-schedule"))  # fmt: skip
    commands = {"web": ["web"], "worker": ["worker", "refusing"], "beat": ["beat"]}
    for name, args in commands.items():
        result = subprocess.run(
            [str(ROOT / "deploy" / "run.sh"), *args], cwd=tmp_path, env=env,
            capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        output = result.stdout + result.stderr
        assert result.returncode != 0, (name, output)
        assert "onewindow.E020" in output, (name, output)


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_key_files_inside_the_media_are_named_by_the_checklist(tmp_path):
    """An older install's demo keys under private/signing/ travel with the media backup."""
    env = without(
        "DOCUMENT_SIGNING_KEY", "DOCUMENT_SIGNING_CERT", "CERTIFICATE_QR_KEY",
        PRIVATE_MEDIA_ROOT=str(tmp_path / "private"),
        SIGNING_DEMO_DIR=str(tmp_path / "private" / "signing"),
    )  # fmt: skip
    result = _manage("check", "--deploy", **env)
    assert "onewindow.W012" in result.stdout + result.stderr
    assert "SIGNING_DEMO_DIR" in result.stdout + result.stderr


def test_demo_keys_default_to_their_own_directory_and_an_older_install_keeps_its_own(tmp_path):
    """New installs: KEYS_DIR/signing, outside the media. An install whose demo keys were made
    under PRIVATE_MEDIA_ROOT/signing keeps reading them there until they are moved."""
    private, keys = tmp_path / "private", tmp_path / "keys"
    env = {"PRIVATE_MEDIA_ROOT": str(private), "KEYS_DIR": str(keys),
           "DATABASE_URL": "sqlite:////tmp/onewindow-deploy-check.sqlite3"}
    show = "from django.conf import settings; print(settings.SIGNING_DEMO_DIR)"

    def demo_dir() -> str:
        result = _manage("shell", "-c", show, **env)
        return result.stdout.strip().splitlines()[-1]

    assert demo_dir() == str(keys / "signing")
    (private / "signing").mkdir(parents=True)
    (private / "signing" / "qr-ed25519-key.pem").write_bytes(qr_key_new())
    assert demo_dir() == str(private / "signing")  # the older install's keys still sign
    (keys / "signing").mkdir(parents=True)  # moved (make prod does it)
    assert demo_dir() == str(keys / "signing")
