"""Closed requests are purged whole after DOCUMENT_DAYS; open ones are never touched."""

import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from accounts.models import AuditEntry
from core.uploads import private_storage
from documents.actions.certificates import certificate_verify
from documents.actions.retention import request_purge_before
from documents.constants import CheckChannel
from documents.models import Certificate, DocumentRequest, RequestMaterial
from documents.tasks import retention_apply

from .certificate_helpers import issued, signing_keys  # noqa: F401
from .factories import add_material, request_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def private_dir(settings, tmp_path):
    from django.utils.functional import empty

    settings.PRIVATE_MEDIA_ROOT = tmp_path
    private_storage._wrapped = empty
    yield tmp_path
    private_storage._wrapped = empty


def test_a_closed_request_goes_with_its_files_and_certificate_after_the_period(
    settings, signing_keys, private_dir, django_capture_on_commit_callbacks  # noqa: F811
):
    settings.RETENTION = {**settings.RETENTION, "DOCUMENT_DAYS": 30}
    certificate, code = issued(django_capture_on_commit_callbacks)
    req = certificate.request
    material = add_material(req)
    certificate.refresh_from_db()
    files = [material.file.name, certificate.pdf.name]
    assert all(private_storage.exists(name) for name in files)
    still_open = request_in("under_review")
    later = timezone.now() + dt.timedelta(days=31)
    with time_machine.travel(later), django_capture_on_commit_callbacks(execute=True):
        assert retention_apply() == {"requests_purged": 1}
    assert not DocumentRequest.objects.filter(pk=req.pk).exists()
    assert not Certificate.objects.exists() and not RequestMaterial.objects.exists()
    assert not any(private_storage.exists(name) for name in files)
    assert DocumentRequest.objects.filter(pk=still_open.pk).exists()
    assert AuditEntry.objects.filter(action="purge", details__count=1).exists()
    result = certificate_verify(number=certificate.number, code=code, channel=CheckChannel.WEB)
    assert result.status == "not_found"


def test_nothing_is_purged_inside_the_period_and_a_second_run_finds_nothing(
    settings, signing_keys, private_dir, django_capture_on_commit_callbacks  # noqa: F811
):
    settings.RETENTION = {**settings.RETENTION, "DOCUMENT_DAYS": 30}
    request_in("rejected")
    assert request_purge_before(cutoff=timezone.now() - dt.timedelta(days=30)) == 0
    cutoff = timezone.now() + dt.timedelta(seconds=1)
    assert request_purge_before(cutoff=cutoff) == 1
    assert request_purge_before(cutoff=cutoff) == 0
