"""A material whose transaction rolled back leaves a file no row names: the nightly sweep
(core.uploads.private_orphans_sweep) deletes it; a material in use stays."""

import datetime as dt
from pathlib import Path

import pytest
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from core.uploads import check_upload, private_orphans_sweep, private_storage
from documents.actions import material_add
from documents.constants import MaterialKind
from documents.models import RequestMaterial

from .factories import add_material, png_upload, request_in, resident

pytestmark = pytest.mark.django_db
TOMORROW = dt.timedelta(days=1)


def files() -> list[Path]:
    return [p for p in Path(settings.PRIVATE_MEDIA_ROOT).rglob("*") if p.is_file()]


def test_a_material_whose_transaction_rolled_back_is_gone_after_the_sweep():
    req = request_in("draft", user=resident())
    with pytest.raises(RuntimeError), transaction.atomic():
        material_add(
            request=req, actor=req.user, kind=MaterialKind.ID_FRONT,
            checked=check_upload(png_upload()),
        )
        raise RuntimeError("something after the upload failed")
    assert not RequestMaterial.objects.exists()
    assert len(files()) == 1  # what the sweep is for

    assert private_orphans_sweep(now=timezone.now() + TOMORROW) == 1
    assert files() == []


def test_materials_in_use_are_never_removed():
    material = add_material(request_in("submitted", user=resident()))
    assert private_orphans_sweep(now=timezone.now() + dt.timedelta(days=365)) == 0
    assert private_storage.exists(material.file.name)
