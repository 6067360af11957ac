"""Uploads are judged by their content: a renamed executable, a broken PDF, an oversized file."""

import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from core.uploads import check_upload, private_storage, store_private


def pdf_bytes() -> bytes:
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def jpeg_with_exif() -> bytes:
    image = Image.new("RGB", (40, 30), "red")
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    return out.getvalue()


def upload(name: str, content: bytes, content_type: str = "application/pdf"):
    return SimpleUploadedFile(name, content, content_type=content_type)


def test_a_real_pdf_is_accepted():
    checked = check_upload(upload("申请.pdf", pdf_bytes()))
    assert checked.kind == "pdf"
    assert checked.content_type == "application/pdf"
    assert checked.original_name == "申请.pdf"


def test_a_renamed_executable_is_refused_whatever_its_name_and_content_type():
    elf = b"\x7fELF\x02\x01\x01" + b"\0" * 200
    with pytest.raises(ValidationError) as error:
        check_upload(upload("id-card.jpg", elf, "image/jpeg"))
    assert error.value.code == "file_type"
    with pytest.raises(ValidationError):
        check_upload(upload("scan.pdf", b"MZ\x90\x00" + b"\0" * 100))


def test_a_broken_pdf_is_refused():
    with pytest.raises(ValidationError) as error:
        check_upload(upload("broken.pdf", b"%PDF-1.7\n1 0 obj garbage"))
    assert error.value.code == "broken"


def test_a_truncated_image_is_refused():
    with pytest.raises(ValidationError) as error:
        check_upload(upload("front.jpg", jpeg_with_exif()[:200], "image/jpeg"))
    assert error.value.code == "broken"


def test_an_oversized_file_is_refused_with_the_limit_in_the_message(settings):
    settings.UPLOAD_MAX_BYTES = 1000
    with pytest.raises(ValidationError) as error:
        check_upload(upload("big.pdf", pdf_bytes() + b"\0" * 2000))
    assert error.value.code == "file_size"
    assert "1000" in str(error.value.params["size"])


def test_images_are_reencoded_without_their_exif_data():
    checked = check_upload(upload("front.jpg", jpeg_with_exif(), "image/jpeg"))
    assert checked.kind == "jpeg"
    with Image.open(io.BytesIO(checked.content)) as image:
        assert image.size == (40, 30)
        assert 0x010F not in image.getexif()


def test_a_path_in_the_file_name_is_kept_for_display_only(tmp_path, settings):
    from django.utils.functional import empty

    settings.PRIVATE_MEDIA_ROOT = tmp_path
    private_storage._wrapped = empty  # re-read the setting
    checked = check_upload(upload("../../etc/passwd.pdf", pdf_bytes()))
    assert checked.original_name == "passwd.pdf"
    name = store_private(checked, folder="materials")
    assert name.startswith("materials/") and name.endswith(".pdf")
    assert (tmp_path / name).read_bytes() == checked.content
    with pytest.raises(NotImplementedError):
        private_storage.url(name)
    private_storage._wrapped = empty
