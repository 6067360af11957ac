"""Document types, residents and requests for tests.

`request_in(status, ...)` makes a request that has reached `status` (the fields a real one would
have set too); `png_upload()`, `pdf_upload()` make valid files for the upload checks."""

import datetime as dt
import io

import factory
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from accounts.models import ResidentProfile
from core.crypto import encrypt_text, pii_hmac
from core.idnumbers import id_check_char, mask_id_number
from core.uploads import check_upload
from documents.constants import MaterialKind, Purpose, RequestStatus
from documents.form_catalogue import certificate_fields, certificate_materials
from documents.models import DocumentRequest, DocumentType, RequestMaterial
from services.tests.factories import OfficeFactory, ServiceFactory

S = RequestStatus


def id_number(birth: str = "19900307", seq: str = "123", region: str = "430104") -> str:
    first17 = f"{region}{birth}{seq}"
    return first17 + id_check_char(first17)


ID_NUMBER = id_number()
OTHER_ID = id_number("19651120", "246")


class DocumentTypeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DocumentType

    code = factory.Sequence(lambda n: f"doc-{n}")
    service = factory.SubFactory(ServiceFactory, channel="online", materials=0)
    name_zh = "无犯罪记录证明"
    name_en = "No-criminal-record certificate"
    number_prefix = "WFZ"
    time_limit_days = 3
    validity_months = 3
    statement_zh = "经查，未发现有犯罪记录。"
    statement_en = "No criminal record was found."
    fields = factory.LazyFunction(certificate_fields)
    materials = factory.LazyFunction(certificate_materials)


def office_for(doc_type: DocumentType, **fields):
    return OfficeFactory(services=[doc_type.service], **fields)


def resident(phone: str = "13800138000", **fields):
    user = get_user_model().objects.create_user(username=phone, password="resident-pass-1",
                                                **fields)
    ResidentProfile.objects.create(user=user, verified_phone=phone)
    return user


class DocumentRequestFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DocumentRequest

    reference = factory.Sequence(lambda n: f"WFZ-2612-T{n:05d}")
    doc_type = factory.SubFactory(DocumentTypeFactory)
    office = factory.LazyAttribute(lambda o: office_for(o.doc_type))
    applicant_name = "张三"
    applicant_id_enc = factory.LazyFunction(lambda: encrypt_text(ID_NUMBER))
    applicant_id_hmac = factory.LazyFunction(lambda: pii_hmac(ID_NUMBER))
    applicant_id_masked = mask_id_number(ID_NUMBER)
    holder_name = "张三"
    holder_id_enc = factory.LazyFunction(lambda: encrypt_text(ID_NUMBER))
    holder_id_hmac = factory.LazyFunction(lambda: pii_hmac(ID_NUMBER))
    holder_id_masked = mask_id_number(ID_NUMBER)
    phone = "13800138000"
    email = "zhang@example.com"
    purpose = Purpose.EMPLOYMENT
    receiving_org = "星城市第一中学"
    period_from = dt.date(2020, 1, 1)
    period_to = dt.date(2026, 1, 1)


def request_in(status: str, **fields) -> DocumentRequest:
    """A request that has reached `status`, with what the workflow would have set on the way."""
    now = timezone.now()
    extra: dict = {"status": status}
    if status != S.DRAFT:
        extra.update(submitted_at=now, due_on=timezone.localdate(now) + dt.timedelta(days=5))
    if status == S.NEEDS_INFO:
        extra.update(paused_at=now, info_request="请补充材料")
    if status in (S.APPROVED, S.ISSUED, S.REJECTED, S.REVOKED):
        extra.update(decided_at=now)
    extra.update(fields)
    return DocumentRequestFactory(**extra)


def png_bytes(size: tuple[int, int] = (40, 30)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(out, "PNG")
    return out.getvalue()


def pdf_bytes() -> bytes:
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def png_upload(name: str = "id-front.png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, png_bytes(), content_type="image/png")


def pdf_upload(name: str = "authorisation.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, pdf_bytes(), content_type="application/pdf")


def add_material(req: DocumentRequest, kind: str = MaterialKind.ID_FRONT) -> RequestMaterial:
    """A stored PNG material, whatever the request's status (as if uploaded while a draft)."""
    import hashlib

    from core.uploads import store_private

    checked = check_upload(png_upload())
    return RequestMaterial.objects.create(
        request=req, kind=kind, file=store_private(checked, folder=f"documents/{req.pk}"),
        original_name=checked.original_name, content_type=checked.content_type,
        size=len(checked.content), sha256=hashlib.sha256(checked.content).hexdigest(),
    )
