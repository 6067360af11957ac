"""GET /api/v1/certificates/verify/?number=…&code=… (or ?payload=… from a scanned QR):
the same check as the /verify/ page, for employers' and embassies' systems. Public, limited per
address (the `api_lookup` rate) or per API client (`api_lookup_client`); every check is recorded
with its channel and result only."""

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api import ErrorSerializer, LookupRateThrottle

from .actions.certificates import certificate_verify, certificate_verify_qr
from .constants import CheckChannel, CheckResult


class VerifyRateThrottle(LookupRateThrottle):
    """The lookup rates, counted apart from booking lookups."""

    cache_format = "throttle_certificate_verify_%(scope)s_%(ident)s"


class QuerySerializer(serializers.Serializer):
    number = serializers.CharField(required=False, max_length=40)
    code = serializers.CharField(required=False, max_length=60)
    payload = serializers.CharField(required=False, max_length=400)

    def validate(self, data: dict) -> dict:
        if not data.get("payload") and not (data.get("number") and data.get("code")):
            raise serializers.ValidationError("Give number and code, or payload.")
        return data


class EssentialsSerializer(serializers.Serializer):
    number = serializers.CharField()
    document_type = serializers.CharField(help_text="In the language of Accept-Language.")
    document_type_zh = serializers.CharField()
    document_type_en = serializers.CharField()
    holder_name = serializers.CharField(help_text="Masked: first and last character, e.g. 张*三.")
    holder_id = serializers.CharField(help_text="Masked: 430***********1234.")
    issued_on = serializers.DateField()
    valid_until = serializers.DateField()
    office = serializers.CharField(help_text="The issuing office.")


class VerificationSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=CheckResult.choices)
    certificate = EssentialsSerializer(
        required=False, allow_null=True, help_text="Absent when the status is not_found."
    )


class CertificateVerifyView(APIView):
    throttle_classes = [VerifyRateThrottle]

    @extend_schema(
        operation_id="certificate_verify",
        summary="Verify a certificate",
        description=(
            "By its number and verification code, or by the signed payload of its QR code. A "
            "wrong code answers `not_found`, as an unknown number does. Only masked essentials "
            "are returned."
        ),
        parameters=[
            OpenApiParameter("number", str, description="The certificate number."),
            OpenApiParameter("code", str, description="The verification code; spaces ignored."),
            OpenApiParameter("payload", str, description="The payload of the QR link."),
        ],
        responses={
            200: VerificationSerializer,
            400: OpenApiResponse(description="Neither number + code nor payload."),
            429: OpenApiResponse(ErrorSerializer, description="Too many checks; wait a minute."),
        },
        tags=["certificates"],
    )
    def get(self, request: Request) -> Response:
        query = QuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        data = query.validated_data
        if data.get("payload"):
            result = certificate_verify_qr(payload=data["payload"])
        else:
            result = certificate_verify(
                number=data["number"], code=data["code"], channel=CheckChannel.API
            )
        body: dict = {"status": str(result.status)}
        if result.found:
            body["certificate"] = EssentialsSerializer(result.essentials).data
        response = Response(body)
        response["Cache-Control"] = "no-store"
        return response
