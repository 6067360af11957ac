"""Residents' uploads and certificate PDFs go to the backend `STORAGES["private"]` names: the file
system under PRIVATE_MEDIA_ROOT by default, an S3-compatible bucket when PRIVATE_STORAGE_BUCKET is
set. Everything that stores, reads or sweeps private files goes through that one backend."""

import datetime as dt
import os
import subprocess
import sys

import pytest
from django.conf import settings as django_settings
from django.utils import timezone
from django.utils.functional import empty

from core.uploads import CheckedUpload, private_orphans_sweep, private_storage, store_private

pytestmark = pytest.mark.django_db
PDF = CheckedUpload(kind="pdf", content=b"%PDF-1.7 test", original_name="a.pdf")


@pytest.fixture
def fresh_backend():
    private_storage._wrapped = empty
    yield
    private_storage._wrapped = empty


def test_by_default_files_land_under_private_media_root_and_have_no_url(
    settings, tmp_path, fresh_backend
):
    settings.PRIVATE_MEDIA_ROOT = tmp_path
    name = store_private(PDF, folder="requests")
    assert (tmp_path / name).read_bytes() == b"%PDF-1.7 test"
    with pytest.raises(NotImplementedError):
        private_storage.url(name)


def test_another_backend_by_configuration_receives_stores_and_sweeps(
    settings, tmp_path, fresh_backend
):
    settings.PRIVATE_MEDIA_ROOT = tmp_path
    settings.STORAGES = {
        **django_settings.STORAGES,
        "private": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    }
    name = store_private(PDF, folder="requests")
    assert not any(tmp_path.iterdir())  # nothing reached the file system
    with private_storage.open(name, "rb") as stored:
        assert stored.read() == b"%PDF-1.7 test"
    assert private_orphans_sweep(now=timezone.now() + dt.timedelta(hours=2)) == 1
    assert not private_storage.exists(name)


def test_a_bucket_in_the_environment_selects_the_s3_compatible_backend():
    probe = (
        "import django; django.setup();"
        "from core.uploads import private_storage as s;"
        "print(type(s._wrapped).__name__, s.bucket_name, s.endpoint_url, s.location, s.default_acl)"
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "PRIVATE_STORAGE_BUCKET": "onewindow-private",
        "PRIVATE_STORAGE_ENDPOINT": "https://oss-cn-hangzhou.aliyuncs.com",
    }
    env.pop("DATABASE_URL", None)
    out = subprocess.run(
        [sys.executable, "-c", probe], env=env, capture_output=True, text=True, timeout=60,
        cwd=django_settings.BASE_DIR,
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == [
        "S3Storage", "onewindow-private", "https://oss-cn-hangzhou.aliyuncs.com", "private",
        "private",
    ]
