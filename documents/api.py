"""The applications API for integrating platforms acting for a verified resident:
`POST /api/v1/applications/` (materials as base64, checked like uploads on the pages) and
`GET /api/v1/applications/<reference>/`, only for the client that created the request.

Writes need an API client token (`Authorization: Token …`); a retry with the same
`Idempotency-Key` and body gets the first answer and creates nothing new."""

import base64
import binascii

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, permissions, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import ApiClient
from core.api import ClientRateThrottle, ErrorSerializer, LimitedJSONParser
from core.idempotency import idempotent_run, request_fingerprint
from core.idnumbers import validate_id_number
from core.uploads import check_upload

from . import actions, selectors
from .constants import MaterialKind, Purpose, RequestStatus
from .models import DocumentRequest, DocumentType
from .periods import period_errors

IDEMPOTENCY_KEY = OpenApiParameter(
    name="Idempotency-Key", location=OpenApiParameter.HEADER, required=False,
    description="A unique key per application (e.g. a UUID, at most 100 characters).",
)


class HasApiClient(permissions.BasePermission):
    def has_permission(self, request, view) -> bool:
        return isinstance(request.auth, ApiClient)


def _id_number(value: str) -> str:
    try:
        return validate_id_number(value)
    except DjangoValidationError as error:
        raise serializers.ValidationError(error.messages)


class ApplicationMaterialSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=MaterialKind.choices)
    filename = serializers.CharField(max_length=120, required=False, default="")
    content_base64 = serializers.CharField(help_text="The file, base64-encoded (PDF, JPEG, PNG).")

    def validate(self, attrs: dict) -> dict:
        limit = settings.DOCUMENTS["API_MATERIAL_MAX_BYTES"]
        try:
            content = base64.b64decode(attrs["content_base64"], validate=True)
        except (binascii.Error, ValueError):
            raise serializers.ValidationError({"content_base64": [_("This is not valid base64.")]})
        upload = SimpleUploadedFile(attrs["filename"] or "upload", content)
        try:
            attrs["checked"] = check_upload(upload, max_bytes=limit)
        except DjangoValidationError as error:
            raise serializers.ValidationError({"content_base64": error.messages})
        return attrs


class ApplicationCreateSerializer(serializers.Serializer):
    document_type = serializers.SlugField(
        help_text="The document type code, e.g. no-criminal-record."
    )
    office = serializers.CharField(help_text="The code of the reviewing office.")
    applicant_name = serializers.CharField(max_length=50)
    applicant_id_number = serializers.CharField(max_length=22)
    phone = serializers.RegexField(r"^1\d{10}$", error_messages={
        "invalid": _("A mobile number has 11 digits and starts with 1.")})
    email = serializers.EmailField(required=False, default="")
    language = serializers.ChoiceField(choices=[c for c, _n in settings.LANGUAGES],
                                       required=False, default="zh-hans")
    on_behalf = serializers.BooleanField(required=False, default=False)
    holder_name = serializers.CharField(max_length=50, required=False, default="")
    holder_id_number = serializers.CharField(max_length=22, required=False, default="")
    purpose = serializers.ChoiceField(choices=Purpose.choices)
    purpose_other = serializers.CharField(max_length=100, required=False, default="")
    receiving_org = serializers.CharField(max_length=100, required=False, default="")
    period_from = serializers.DateField(required=False, default=None)
    period_to = serializers.DateField(required=False, default=None)
    materials = ApplicationMaterialSerializer(many=True)

    def validate_document_type(self, code: str) -> DocumentType:
        try:
            return selectors.doc_type_get_active(code=code)
        except DocumentType.DoesNotExist:
            raise serializers.ValidationError(_("No document type has this code."))

    def validate_applicant_id_number(self, value: str) -> str:
        return _id_number(value)

    def validate_holder_id_number(self, value: str) -> str:
        return _id_number(value) if value else ""

    def validate(self, attrs: dict) -> dict:
        errors: dict[str, list] = {}
        doc_type = attrs["document_type"]
        office = selectors.office_list_for_doc_type(doc_type).filter(code=attrs["office"]).first()
        if office is None:
            errors["office"] = [_("This office does not handle this document.")]
        attrs["office"] = office
        if attrs["on_behalf"]:
            for name in ("holder_name", "holder_id_number"):
                if not attrs[name]:
                    errors[name] = [_("Required when applying for someone else.")]
        if attrs["purpose"] == Purpose.OTHER and not attrs["purpose_other"].strip():
            errors["purpose_other"] = [_("Please describe the purpose.")]
        if doc_type.asks_receiving_org and not attrs["receiving_org"].strip():
            errors["receiving_org"] = [_("Please enter the receiving organisation.")]
        if doc_type.asks_period:
            first, last = attrs["period_from"], attrs["period_to"]
            if first is None or last is None:
                errors["period_to"] = [_("Please enter the start and end of the period.")]
            else:
                holder = attrs["holder_id_number"] if attrs["on_behalf"] else (
                    attrs["applicant_id_number"])
                found = period_errors(doc_type=doc_type, first=first, last=last, holder_id=holder)
                errors.update({field: [message] for field, message in found.items()})
        kinds = {m["kind"] for m in attrs["materials"]}
        needed = {MaterialKind.ID_FRONT, MaterialKind.ID_BACK}
        if attrs["on_behalf"]:
            needed.add(MaterialKind.AUTHORISATION)
        if needed - kinds:
            labels = ", ".join(str(MaterialKind(k).label) for k in sorted(needed - kinds))
            errors["materials"] = [_("Missing: %(kinds)s.") % {"kinds": labels}]
        if errors:
            raise serializers.ValidationError(errors)
        return attrs


class ApplicationSerializer(serializers.ModelSerializer):
    document_type = serializers.CharField(source="doc_type.code")
    office = serializers.CharField(source="office.code")
    status_display = serializers.CharField(source="get_status_display")
    decision_reason = serializers.SerializerMethodField()
    info_request = serializers.SerializerMethodField()
    certificate_number = serializers.SerializerMethodField()

    class Meta:
        model = DocumentRequest
        fields = ["reference", "document_type", "office", "status", "status_display",
                  "submitted_at", "due_on", "info_request", "decision_reason",
                  "certificate_number"]

    def get_decision_reason(self, req: DocumentRequest) -> str:
        shown = (RequestStatus.REJECTED, RequestStatus.REVOKED)
        return req.decision_reason if req.status in shown else ""

    def get_info_request(self, req: DocumentRequest) -> str:
        return req.info_request if req.status == RequestStatus.NEEDS_INFO else ""

    def get_certificate_number(self, req: DocumentRequest) -> str | None:
        if req.status not in (RequestStatus.ISSUED, RequestStatus.REVOKED):
            return None
        certificate = getattr(req, "certificate", None)
        return certificate.number if certificate else None


class ApplicationCreatedSerializer(serializers.Serializer):
    reference = serializers.CharField()
    status = serializers.CharField()
    due_on = serializers.DateField(allow_null=True)


def _error(text: str) -> OpenApiResponse:
    return OpenApiResponse(ErrorSerializer, description=text)


@transaction.atomic
def _create(client: ApiClient, data: dict) -> dict:
    req = actions.request_draft_create(
        doc_type=data["document_type"], office=data["office"], api_client=client.name,
        language=data["language"], applicant_name=data["applicant_name"],
        applicant_id=data["applicant_id_number"], phone=data["phone"], email=data["email"],
        on_behalf=data["on_behalf"], holder_name=data["holder_name"],
        holder_id=data["holder_id_number"], purpose=data["purpose"],
        purpose_other=data["purpose_other"], receiving_org=data["receiving_org"],
        period_from=data["period_from"], period_to=data["period_to"],
    )
    for material in data["materials"]:
        actions.material_add(request=req, actor=None, kind=material["kind"],
                             checked=material["checked"])
    req = actions.request_submit(request=req, actor=None)
    return {"reference": req.reference, "status": req.status,
            "due_on": req.due_on.isoformat() if req.due_on else None}


class ApplicationCreateView(APIView):
    permission_classes = [HasApiClient]
    parser_classes = [LimitedJSONParser]
    throttle_classes = [ClientRateThrottle]

    @extend_schema(
        operation_id="applications_create",
        summary="Apply for a document for a verified resident",
        parameters=[IDEMPOTENCY_KEY],
        request=ApplicationCreateSerializer,
        responses={
            201: ApplicationCreatedSerializer,
            400: OpenApiResponse(OpenApiTypes.OBJECT, description="Field errors."),
            401: _error("No or a wrong token."),
            422: _error("The Idempotency-Key was used for another body."),
            429: _error("Too many requests."),
        },
        tags=["applications"],
    )
    def post(self, request: Request) -> Response:
        data = ApplicationCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        client: ApiClient = request.auth
        key = request.headers.get("Idempotency-Key", "").strip()
        if not key:
            return Response(_create(client, data.validated_data), status.HTTP_201_CREATED)
        if len(key) > 100:
            raise exceptions.ValidationError(
                {"Idempotency-Key": [_("An Idempotency-Key has at most 100 characters.")]}
            )
        outcome = idempotent_run(
            scope=f"api-application:{client.pk}", key=key,
            fingerprint=request_fingerprint(request.data),
            run=lambda: (status.HTTP_201_CREATED, _create(client, data.validated_data)),
        )
        response = Response(outcome.body, status=outcome.status)
        if outcome.replayed:
            response["Idempotent-Replayed"] = "true"
        return response


class ApplicationDetailView(APIView):
    permission_classes = [HasApiClient]
    throttle_classes = [ClientRateThrottle]

    @extend_schema(
        operation_id="applications_retrieve",
        summary="The status of an application this client made",
        responses={200: ApplicationSerializer, 401: _error("No or a wrong token."),
                   404: _error("No application of this client has this reference.")},
        tags=["applications"],
    )
    def get(self, request: Request, reference: str) -> Response:
        try:
            req = selectors.request_get_for_client(request.auth.name, reference=reference)
        except DocumentRequest.DoesNotExist:
            raise exceptions.NotFound() from None
        return Response(ApplicationSerializer(req).data)
