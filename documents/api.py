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
from core.api import (
    AnonIpRateThrottle,
    ClientRateThrottle,
    ErrorSerializer,
    LimitedJSONParser,
    idempotent_response,
)
from core.uploads import check_upload
from services.models import Bundle, Office

from . import actions, selectors
from .constants import RequestStatus
from .definitions import answers_schema, materials_public
from .models import BundleApplication, DocumentRequest, DocumentType

IDEMPOTENCY_KEY = OpenApiParameter(
    name="Idempotency-Key", location=OpenApiParameter.HEADER, required=False,
    description="A unique key per application (e.g. a UUID, at most 100 characters).",
)


class HasApiClient(permissions.BasePermission):
    def has_permission(self, request, view) -> bool:
        return isinstance(request.auth, ApiClient)


class ApplicationMaterialSerializer(serializers.Serializer):
    kind = serializers.SlugField(max_length=30, help_text="A material kind of the service's form.")
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
    """The applicant block of every service. Every other top-level key is an answer to the
    service's own form (GET /api/v1/services/<code>/form/ describes them): this only parses;
    the rules are actions.request_apply's."""

    service = serializers.SlugField(
        required=False, default="",
        help_text="The catalogue service code (e.g. za-no-criminal-record) or its online form "
                  "code (e.g. no-criminal-record).",
    )
    document_type = serializers.SlugField(
        required=False, default="", help_text="The online form code (older name of `service`)."
    )
    office = serializers.CharField(max_length=40, help_text="The code of the reviewing office.")
    applicant_name = serializers.CharField(max_length=50)
    applicant_id_number = serializers.CharField(max_length=22)
    phone = serializers.CharField(max_length=20)
    email = serializers.EmailField(required=False, default="")
    language = serializers.ChoiceField(choices=[c for c, _n in settings.LANGUAGES],
                                       required=False, default="zh-hans")
    on_behalf = serializers.BooleanField(required=False, default=False)
    holder_name = serializers.CharField(max_length=50, required=False, default="")
    holder_id_number = serializers.CharField(max_length=22, required=False, default="")
    materials = ApplicationMaterialSerializer(many=True, max_length=20)

    def validate(self, attrs: dict) -> dict:
        code = attrs["service"] or attrs["document_type"]
        try:
            attrs["doc_type"] = selectors.doc_type_get_by_code(code=code)
        except DocumentType.DoesNotExist:
            raise serializers.ValidationError(
                {"service": [_("No online service has this code.")]}) from None
        attrs["office"] = Office.objects.filter(code=attrs["office"]).first()
        return attrs


# request_apply's names → the API's
API_NAMES = {"applicant_id": "applicant_id_number", "holder_id": "holder_id_number"}


def _api_errors(errors: dict[str, list[str]], doc_type: DocumentType) -> dict[str, list[str]]:
    kinds = {m["kind"] for m in actions.version_current(doc_type).materials}
    out: dict[str, list[str]] = {}
    for key, messages in errors.items():
        if key in kinds:
            out.setdefault("materials", []).extend(f"{key}: {m}" for m in messages)
        else:
            out.setdefault(API_NAMES.get(key, key), []).extend(messages)
    return out


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
    service = serializers.CharField()
    form_version = serializers.IntegerField(allow_null=True)
    due_on = serializers.DateField(allow_null=True)


def _error(text: str) -> OpenApiResponse:
    return OpenApiResponse(ErrorSerializer, description=text)


def _answers(raw: object, parsed: dict) -> dict:
    """The top-level keys the applicant block does not name: the answers."""
    if not isinstance(raw, dict):
        return {}
    return {k: v for k, v in raw.items() if k not in parsed and k not in ("service",
                                                                          "document_type")}


def _create(client: ApiClient, data: dict, answers: dict) -> tuple[int, dict]:
    try:
        with transaction.atomic():
            req = actions.request_apply(
                doc_type=data["doc_type"], office=data["office"], api_client=client.name,
                language=data["language"], applicant_name=data["applicant_name"],
                applicant_id=data["applicant_id_number"], phone=data["phone"],
                email=data["email"], on_behalf=data["on_behalf"],
                holder_name=data["holder_name"], holder_id=data["holder_id_number"],
                answers=answers, uploads=[(m["kind"], m["checked"]) for m in data["materials"]],
                submit=True,
            )
    except actions.ApplicationInvalid as invalid:
        return status.HTTP_400_BAD_REQUEST, _api_errors(invalid.errors, data["doc_type"])
    return status.HTTP_201_CREATED, {
        "reference": req.reference, "status": req.status, "service": req.doc_type.service.code,
        "form_version": req.form_version.number if req.form_version else None,
        "due_on": req.due_on.isoformat() if req.due_on else None}


class ApplicationCreateView(APIView):
    permission_classes = [HasApiClient]
    parser_classes = [LimitedJSONParser]
    throttle_classes = [ClientRateThrottle]

    @extend_schema(
        operation_id="applications_create",
        summary="Apply online for any configured service, for a verified resident",
        description="The body is the applicant block below plus the service's own answers as "
                    "top-level keys (a date range `period` as `period_from` and `period_to`), "
                    "as GET /api/v1/services/{code}/form/ describes them.",
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
        answers = _answers(request.data, data.fields)
        return idempotent_response(
            request, scope=f"api-application:{client.pk}", payload=request.data,
            run=lambda: _create(client, data.validated_data, answers),
        )  # fmt: skip


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


# --- the form of a service, as JSON Schema -------------------------------------------------------


class MaterialSpecSerializer(serializers.Serializer):
    kind = serializers.CharField()
    label = serializers.CharField()
    help = serializers.CharField()
    required = serializers.ChoiceField(choices=["always", "on_behalf", "optional"])
    max_files = serializers.IntegerField()
    formats = serializers.ListField(child=serializers.CharField())
    max_mb = serializers.IntegerField()


class ServiceFormSerializer(serializers.Serializer):
    service = serializers.CharField()
    form_code = serializers.CharField()
    name = serializers.CharField()
    version = serializers.IntegerField()
    time_limit_days = serializers.IntegerField()
    outcome = serializers.CharField()
    offices = serializers.ListField(child=serializers.CharField())
    schema = serializers.JSONField(help_text="JSON Schema (draft 2020-12) of the request body.")
    materials = MaterialSpecSerializer(many=True)


class ServiceFormView(APIView):
    permission_classes = [permissions.AllowAny]
    throttle_classes = [AnonIpRateThrottle]

    @extend_schema(
        operation_id="service_form_retrieve",
        summary="The online application form of a service, as JSON Schema, with its materials",
        parameters=[OpenApiParameter("Accept-Language", location=OpenApiParameter.HEADER,
                                     required=False, description="zh-hans or en")],
        responses={200: ServiceFormSerializer,
                   404: _error("No active online service has this code.")},
        tags=["applications"],
    )
    def get(self, request: Request, code: str) -> Response:
        try:
            doc_type = selectors.doc_type_get_by_code(code=code)
        except DocumentType.DoesNotExist:
            raise exceptions.NotFound() from None
        version = actions.version_current(doc_type)
        return Response(ServiceFormSerializer(form_describe(doc_type, version)).data)


def form_describe(doc_type: DocumentType, version) -> dict:
    """The request body's JSON Schema: the applicant block and the service's answers."""
    schema = answers_schema(version.fields)
    offices = list(selectors.office_list_for_doc_type(doc_type).values_list("code", flat=True))
    schema["properties"] = {**applicant_schema(offices, doc_type.service.code),
                            **schema["properties"]}
    schema["required"] = ["service", "office", "applicant_name", "applicant_id_number", "phone",
                          "materials", *schema.get("required", [])]
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = str(doc_type.name)
    return {"service": doc_type.service.code, "form_code": doc_type.code,
            "name": str(doc_type.name), "version": version.number,
            "time_limit_days": doc_type.time_limit_days, "outcome": doc_type.outcome,
            "offices": offices, "schema": schema,
            "materials": materials_public(version.materials)}


def applicant_schema(offices: list[str], service: str) -> dict:
    text = {"type": "string"}
    return {
        "service": {**text, "const": service},
        "office": {**text, "enum": offices, "title": str(_("Reviewing office"))},
        "applicant_name": {**text, "maxLength": 50, "title": str(_("Your full name"))},
        "applicant_id_number": {**text, "format": "cn-id-number",
                                "title": str(_("Your ID number"))},
        "phone": {**text, "format": "cn-mobile", "title": str(_("Mobile number"))},
        "email": {**text, "format": "email"},
        "language": {**text, "enum": [c for c, _n in settings.LANGUAGES]},
        "on_behalf": {"type": "boolean", "title": str(_("I am applying for someone else"))},
        "holder_name": {**text, "maxLength": 50},
        "holder_id_number": {**text, "format": "cn-id-number"},
        "materials": {"type": "array", "items": {
            "type": "object", "required": ["kind", "content_base64"],
            "properties": {"kind": text, "filename": text,
                           "content_base64": {**text, "contentEncoding": "base64"}}}},
    }


# --- 一件事: one online application for every online part of a bundle -------------------------


class BundleApplicationCreateSerializer(ApplicationCreateSerializer):
    """The applicant block, asked once for every online part; every other top-level key is an
    answer to a part's form (the parts' shared questions asked once). Only parses: the rules
    are actions.bundle_apply's (each part's request_apply)."""

    service = None  # type: ignore[assignment]  # the bundle is in the address
    document_type = None  # type: ignore[assignment]
    office = serializers.CharField(
        max_length=40, required=False, default="",
        help_text="The code of one office reviewing every part; or give `offices`.",
    )
    offices = serializers.DictField(
        child=serializers.CharField(max_length=40), required=False, default=dict,
        help_text="Part (online form code) → reviewing office code, when no office handles "
                  "every part.",
    )

    def validate(self, attrs: dict) -> dict:
        by_code = {o.code: o for o in Office.objects.filter(
            code__in=[attrs["office"], *attrs["offices"].values()])}
        if attrs["offices"]:
            attrs["office"] = {part: by_code.get(code) for part, code in attrs["offices"].items()}
        else:
            attrs["office"] = by_code.get(attrs["office"])
        return attrs


class BundlePartCreatedSerializer(serializers.Serializer):
    reference = serializers.CharField()
    service = serializers.CharField()
    office = serializers.CharField()
    status = serializers.CharField()
    due_on = serializers.DateField(allow_null=True)


class BundleApplicationCreatedSerializer(serializers.Serializer):
    reference = serializers.CharField(help_text="The bundle's one reference (YJS-…).")
    bundle = serializers.CharField()
    parts = BundlePartCreatedSerializer(many=True, help_text="Each part, decided on its own.")


def _bundle_created(application) -> dict:
    parts = application.parts.select_related("doc_type__service", "office").order_by("id")
    return {"reference": application.reference, "bundle": application.bundle.code, "parts": [
        {"reference": p.reference, "service": p.doc_type.service.code, "office": p.office.code,
         "status": p.status, "due_on": p.due_on.isoformat() if p.due_on else None}
        for p in parts]}


def _bundle_create(client: ApiClient, bundle, parts: list, data: dict,
                   answers: dict) -> tuple[int, dict]:
    person = {"applicant_name": data["applicant_name"],
              "applicant_id": data["applicant_id_number"], "phone": data["phone"],
              "email": data["email"], "on_behalf": data["on_behalf"],
              "holder_name": data["holder_name"], "holder_id": data["holder_id_number"]}
    try:
        with transaction.atomic():
            application = actions.bundle_apply(
                bundle=bundle, parts=parts, office=data["office"], api_client=client.name,
                language=data["language"], person=person, answers=answers,
                uploads=[(m["kind"], m["checked"]) for m in data["materials"]],
            )
    except actions.ApplicationInvalid as invalid:
        errors: dict[str, list[str]] = {}
        for key, messages in invalid.errors.items():
            errors.setdefault(API_NAMES.get(key, key), []).extend(messages)
        return status.HTTP_400_BAD_REQUEST, errors
    return status.HTTP_201_CREATED, _bundle_created(application)


class BundleApplicationCreateView(APIView):
    permission_classes = [HasApiClient]
    parser_classes = [LimitedJSONParser]
    throttle_classes = [ClientRateThrottle]

    @extend_schema(
        operation_id="bundles_applications_create",
        summary="Apply online once for every online part of a bundle",
        description="The applicant block below plus the parts' answers as top-level keys, "
                    "each question the parts share given once (GET /api/v1/services/{code}/form/ "
                    "describes each part's form). One reference; each part is reviewed by its "
                    "office and decided on its own.",
        parameters=[IDEMPOTENCY_KEY],
        request=BundleApplicationCreateSerializer,
        responses={
            201: BundleApplicationCreatedSerializer,
            400: OpenApiResponse(OpenApiTypes.OBJECT, description="Field errors."),
            401: _error("No or a wrong token."),
            404: _error("No bundle with an online part has this code."),
            422: _error("The Idempotency-Key was used for another body."),
            429: _error("Too many requests."),
        },
        tags=["bundles"],
    )
    def post(self, request: Request, code: str) -> Response:
        try:
            bundle = selectors.bundle_get_active(code=code)
        except Bundle.DoesNotExist:
            raise exceptions.NotFound() from None
        parts = selectors.bundle_parts_online(bundle)
        if not parts:
            raise exceptions.NotFound()
        data = BundleApplicationCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        client: ApiClient = request.auth
        answers = _answers(request.data, data.fields)
        return idempotent_response(
            request, scope=f"api-bundle-application:{client.pk}",
            payload={"bundle": bundle.code, **request.data},
            run=lambda: _bundle_create(client, bundle, parts, data.validated_data, answers),
        )  # fmt: skip


class BundleApplicationDetailView(APIView):
    permission_classes = [HasApiClient]
    throttle_classes = [ClientRateThrottle]

    @extend_schema(
        operation_id="bundles_applications_retrieve",
        summary="A bundle application this client made, with each part's status",
        responses={200: BundleApplicationCreatedSerializer, 401: _error("No or a wrong token."),
                   404: _error("No bundle application of this client has this reference.")},
        tags=["bundles"],
    )
    def get(self, request: Request, reference: str) -> Response:
        try:
            application = selectors.bundle_application_get_for_client(
                request.auth.name, reference=reference)
        except BundleApplication.DoesNotExist:
            raise exceptions.NotFound() from None
        return Response(_bundle_created(application))
