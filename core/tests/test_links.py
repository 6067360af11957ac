"""SITE_URL, the address in every link that leaves the site: in development it follows where
`make run` serves (HOST, PORT); production refuses to start without it (core/checks.py)."""

import os
import subprocess
import sys
from pathlib import Path

from django.conf import settings

from core.links import site_link, site_reverse

ROOT = Path(settings.BASE_DIR)
SKIP = {"DJANGO_SETTINGS_MODULE", "DJANGO_ALLOW_ASYNC_UNSAFE", "SITE_URL", "HOST", "PORT", "DEBUG"}


def _manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if k not in SKIP}
    environment.update(DATABASE_URL="sqlite:////tmp/onewindow-site-url-check.sqlite3", **env)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT, env=environment, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def _site_url(**env: str) -> str:
    script = "from django.conf import settings; print(settings.SITE_URL)"
    result = _manage("shell", "-c", script, **env)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()[-1]


def test_the_dev_server_links_follow_the_host_and_port_make_run_serves_on():
    assert _site_url() == "http://127.0.0.1:8000"
    assert _site_url(HOST="127.0.0.2", PORT="8765") == "http://127.0.0.2:8765"
    assert _site_url(HOST="0.0.0.0", PORT="9000") == "http://127.0.0.1:9000"  # noqa: S104
    assert _site_url(HOST="::1", PORT="9000") == "http://[::1]:9000"


def test_an_explicit_site_url_wins_and_loses_its_trailing_slash():
    assert _site_url(SITE_URL="https://ow.example.gov.cn/", PORT="9000") == (
        "https://ow.example.gov.cn"
    )


def test_make_run_passes_its_host_and_port_to_the_server():
    dry = subprocess.run(
        ["make", "-n", "run", "HOST=127.0.0.3", "PORT=8123"],
        cwd=ROOT, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    [serve] = [line for line in dry.stdout.splitlines() if "devserver" in line]
    assert "HOST=127.0.0.3" in serve and "PORT=8123" in serve


def test_production_without_site_url_fails_the_system_check():
    production = {"DEBUG": "0", "SECRET_KEY": "x" * 60, "ALLOWED_HOSTS": "ow.example.gov.cn"}
    failed = _manage("check", **production)
    assert failed.returncode != 0
    assert "onewindow.E017" in failed.stderr and "SITE_URL is not set" in failed.stderr

    relative = _manage("check", SITE_URL="ow.example.gov.cn", **production)
    assert relative.returncode != 0 and "onewindow.E017" in relative.stderr

    # (Other production checks may still object to this minimal environment: not this one.)
    passed = _manage("check", SITE_URL="https://ow.example.gov.cn", **production)
    assert "onewindow.E017" not in passed.stderr + passed.stdout
    assert "Traceback" not in passed.stderr, passed.stderr


def test_links_are_built_on_site_url_in_the_language_asked(settings):
    settings.SITE_URL = "https://ow.example.gov.cn:8443"
    assert site_link("/healthz") == "https://ow.example.gov.cn:8443/healthz"
    assert site_reverse("core:home", language="en") == "https://ow.example.gov.cn:8443/en/"
    assert site_reverse("core:home", language="zh-hans") == (
        "https://ow.example.gov.cn:8443/zh-hans/"
    )
