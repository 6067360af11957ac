"""`make prod`'s preparation (deploy/prod_setup.py): secrets made once, never overwritten."""

import base64
import importlib.util
import stat

from django.conf import settings

spec = importlib.util.spec_from_file_location(
    "prod_setup", settings.BASE_DIR / "deploy" / "prod_setup.py"
)
prod_setup = importlib.util.module_from_spec(spec)
spec.loader.exec_module(prod_setup)


def read_env(path) -> dict[str, str]:
    lines = [line for line in path.read_text().splitlines() if line and not line.startswith("#")]
    return dict(line.split("=", 1) for line in lines)


def test_secrets_are_generated_once_readable_by_the_owner_only(tmp_path):
    path = tmp_path / ".env.prod"
    assert prod_setup.write_secrets(path) is True
    first = read_env(path)
    assert set(first) == {"SECRET_KEY", "FIELD_ENCRYPTION_KEYS", "PII_HMAC_KEY"}
    assert len(first["SECRET_KEY"]) >= 50
    assert len(base64.b64decode(first["FIELD_ENCRYPTION_KEYS"])) == 32
    assert len(base64.b64decode(first["PII_HMAC_KEY"])) == 32
    assert stat.S_IMODE(path.stat().st_mode) == 0o600

    assert prod_setup.write_secrets(path) is False  # kept: the stored ID numbers need them
    assert read_env(path) == first


def test_every_run_of_the_procfile_has_one_beat():
    procfile = (settings.BASE_DIR / "Procfile").read_text().splitlines()
    kinds = [line.split(":", 1)[0] for line in procfile if line and not line.startswith("#")]
    assert kinds == ["web", "worker", "beat"]
    web = next(line for line in procfile if line.startswith("web:"))
    assert "gunicorn" in web and "gthread" in web
