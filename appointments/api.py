"""The booking API: /api/v1/slots/ and /api/v1/bookings/, on the same actions and selectors as
the pages. Reads are public; writes need an API client token (`Authorization: Token …`).
Domain errors become `{"error": code, "detail": message}` in core.api.exception_handler."""

import datetime as dt
import functools
import json
import re
from collections.abc import Callable

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import get_script_prefix, reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, permissions, serializers, status
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api_auth import KEYWORD as TOKEN_KEYWORD
from accounts.api_auth import ApiClientAuthentication, client_touch
from accounts.models import ApiClient
from core.api import (
    AnonIpRateThrottle,
    ClientRateThrottle,
    ErrorSerializer,
    LimitedJSONParser,
    LookupRateThrottle,
    idempotent_response,
)
from core.client_ip import client_ip
from core.errors import DomainError
from core.idempotency import idempotent_run, request_fingerprint
from core.idnumbers import validate_id_number
from services import selectors as catalogue
from services.models import Office, Service

from . import actions, selectors
from .constants import BookingStatus
from .models import Booking, Slot

PDF_LINK_MAX_AGE = dt.timedelta(hours=24)
_PDF_SALT = "appointments.api.booking-pdf"

ACCEPT_LANGUAGE = OpenApiParameter(
    name="Accept-Language",
    location=OpenApiParameter.HEADER,
    required=False,
    description="zh-Hans (default) or en: the language of names and messages.",
)
IDEMPOTENCY_KEY = OpenApiParameter(
    name="Idempotency-Key",
    location=OpenApiParameter.HEADER,
    required=False,
    description=(
        "A unique key per booking attempt (e.g. a UUID, at most 100 characters). A retry with "
        "the same key and body returns the first answer and books nothing new; the same key "
        "with another body is refused with 422."
    ),
)
IDEMPOTENT_REPLAYED = OpenApiParameter(
    name="Idempotent-Replayed",
    location=OpenApiParameter.HEADER,
    type=OpenApiTypes.STR,
    enum=["true"],
    response=[201, 400, 403, 409],
    description="Present (`true`) when the answer is the replay of an earlier request.",
)


def _error(description: str) -> OpenApiResponse:
    return OpenApiResponse(ErrorSerializer, description=description)


@functools.cache  # one component per input serializer in the schema
def _field_errors(serializer_class: type[serializers.Serializer], *extra: str) -> OpenApiResponse:
    """The 400 body: each invalid field (or header in `extra`) with its messages."""
    names = [*serializer_class().fields, *extra, "non_field_errors"]
    fields: dict = {
        name: serializers.ListField(child=serializers.CharField(), required=False) for name in names
    }
    fields["__module__"] = __name__
    errors = type(
        f"{serializer_class.__name__.removesuffix('Serializer')}Errors",
        (serializers.Serializer,),
        fields,
    )
    return OpenApiResponse(errors, description="Invalid input: messages per field.")


RATE_LIMITED = _error("Too many requests; retry after the `Retry-After` header's seconds.")
NOT_AUTHENTICATED = _error(
    "No valid API client token (error `not_authenticated` or `authentication_failed`)."
)
NOT_FOUND = _error("No booking matches this code and ID number (error `not_found`).")
LOCKED = _error(
    "Too many wrong ID digits for this booking: it is locked for everyone until its holder "
    "unlocks it with the link sent by SMS, or a clerk does at the counter (error "
    "`lookup_locked`)."
)


# ---- Signed PDF links: the link carries no personal data and expires.


def pdf_signature(code: str) -> str:
    return signing.TimestampSigner(salt=_PDF_SALT).sign(code).split(":", 1)[1]


def pdf_signature_valid(code: str, signature: str) -> bool:
    try:
        signing.TimestampSigner(salt=_PDF_SALT).unsign(
            f"{code}:{signature}", max_age=PDF_LINK_MAX_AGE
        )
    except signing.BadSignature:  # SignatureExpired included
        return False
    return True


def pdf_url(request: Request, code: str) -> str:
    before, _code, after = _pdf_path(get_script_prefix()).rpartition(_CODE)
    path = f"{before}{code}{after}"
    return request.build_absolute_uri(f"{path}?sig={pdf_signature(code)}")


_CODE = "CODE"  # a code stands where this is (codes need no quoting: BOOKING_CODE_ALPHABET)


@functools.cache
def _pdf_path(prefix: str) -> str:
    """reverse("api-booking-pdf") with _CODE for the code, once per script prefix (every booking
    answer carries the link)."""
    return reverse("api-booking-pdf", kwargs={"code": _CODE})


def mask_name(name: str) -> str:
    """张三 → 张*: enough for the resident to recognise, not enough to identify."""
    name = name.strip()
    return name[:1] + "*" * max(len(name) - 1, 1) if name else ""


# ---- Serializers


# The answers to a booking are plain Serializers, not ModelSerializers: these are built for every
# booking, and a ModelSerializer spends three times the CPU introspecting the model each time.


class BookingOfficeSerializer(serializers.Serializer):
    code = serializers.CharField(read_only=True, help_text="Office code.")
    name = serializers.CharField(read_only=True)
    address = serializers.CharField(read_only=True)


class BookingServiceSerializer(serializers.Serializer):
    code = serializers.CharField(read_only=True, help_text="Service code.")
    name = serializers.CharField(read_only=True)


class SlotQuerySerializer(serializers.Serializer):
    office = serializers.CharField(help_text="Office code.")
    service = serializers.CharField(help_text="Service code.")
    date = serializers.DateField(input_formats=["%Y-%m-%d"], help_text="The day, YYYY-MM-DD.")

    def validate_office(self, code: str) -> Office:
        try:
            return catalogue.office_get_public(code=code)
        except Office.DoesNotExist:
            raise serializers.ValidationError(_("No office has this code."))

    def validate_service(self, code: str) -> Service:
        service = catalogue.service_list_public().filter(code=code).first()
        if service is None:
            raise serializers.ValidationError(_("No service has this code."))
        return service

    def validate(self, attrs: dict) -> dict:
        if attrs["service"] not in attrs["office"].services.all():
            raise serializers.ValidationError(
                {"service": [_("This office does not offer this service.")]}
            )
        return attrs


class SlotSerializer(serializers.ModelSerializer):
    capacity = serializers.IntegerField(
        source="bookable", read_only=True, help_text="Places that can be booked online."
    )
    remaining = serializers.IntegerField(read_only=True, help_text="Places still free.")
    bookable = serializers.SerializerMethodField(
        help_text="Whether the slot can be booked now: its booking window is open, the office "
        "is not closed that day and a place is free."
    )

    class Meta:
        model = Slot
        fields = ["id", "start", "end", "capacity", "remaining", "bookable"]

    def get_bookable(self, slot: Slot) -> bool:
        refusal = selectors.slot_refusal(
            slot,
            self.context["service"],
            now=self.context["now"],
            closure=self.context["closure"],
            count_full=True,
        )
        return refusal is None


class ServiceCodeField(serializers.SlugRelatedField):
    """An active service by its code, read in one plain statement (every booking parses one);
    the errors are SlugRelatedField's."""

    # Built once: DRF re-runs __init__ when it copies the field for every serializer instance.
    _ACTIVE = catalogue.service_list_active()

    def __init__(self, **kwargs) -> None:
        super().__init__(slug_field="code", queryset=self._ACTIVE, **kwargs)

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        service = catalogue.service_get_active(code=data)
        if service is None:
            self.fail("does_not_exist", slug_name=self.slug_field, value=data)
        return service


class BookingCreateSerializer(serializers.Serializer):
    # An id, looked up once by the booking action itself (Slot.DoesNotExist becomes this field's
    # error in BookingCreateView): a related field would read the slot a second time.
    slot = serializers.IntegerField(
        min_value=1, max_value=2**63 - 1, help_text="A slot id from /api/v1/slots/."
    )
    service = ServiceCodeField(help_text="Service code.")
    name = serializers.CharField(max_length=50, help_text="The resident's full name.")
    id_number = serializers.CharField(
        max_length=30, help_text="The resident's 18-character national ID number."
    )
    phone = serializers.RegexField(
        r"^1[0-9]{10}$",
        help_text="Mobile number: 11 digits starting with 1.",
        error_messages={"invalid": _("A mobile number has 11 digits and starts with 1.")},
    )
    email = serializers.EmailField(required=False, allow_blank=True, default="")

    def validate_id_number(self, value: str) -> str:
        return validate_id_number(value)  # its ValidationError becomes this field's error


class BookingCreatedSerializer(serializers.Serializer):
    code = serializers.CharField(read_only=True, help_text="The booking code.")
    status = serializers.ChoiceField(choices=BookingStatus.choices, read_only=True)
    start = serializers.DateTimeField(read_only=True)
    office = BookingOfficeSerializer(read_only=True)
    service = BookingServiceSerializer(read_only=True)
    pdf_url = serializers.SerializerMethodField(
        help_text="The confirmation PDF; a signed link valid for 24 hours."
    )

    def get_pdf_url(self, booking: Booking) -> str:
        return pdf_url(self.context["request"], booking.code)


_DATETIME = serializers.DateTimeField()


def api_booking_make(request: Request, fields: dict, create: Callable[..., Booking]) -> Booking:
    """`create` (booking_create with its service, or booking_create_bundle with its bundle)
    called with an API booking's validated details; an unknown slot is the slot field's error.
    Inside idempotent_run the error rolls its record back too: a retry is answered afresh."""
    try:
        return create(
            slot_id=fields["slot"],
            name=fields["name"],
            id_number=fields["id_number"],
            phone=fields["phone"],
            email=fields["email"],
            language=translation.get_language(),
            api_client=request.auth.name,
        )
    except Slot.DoesNotExist:
        message = serializers.PrimaryKeyRelatedField.default_error_messages["does_not_exist"]
        raise exceptions.ValidationError(
            {"slot": [message.format(pk_value=fields["slot"])]}
        ) from None


def _booking_created(booking: Booking, request: Request) -> dict:
    """BookingCreatedSerializer's answer (it stays the schema), built directly: a serializer
    instance deep-copies its fields for every booking."""
    office, service = booking.office, booking.service
    return {
        "code": booking.code,
        "status": booking.status,
        "start": _DATETIME.to_representation(booking.start),
        "office": {"code": office.code, "name": str(office.name), "address": str(office.address)},
        "service": {"code": service.code, "name": str(service.name)},
        "pdf_url": pdf_url(request, booking.code),
    }


class BookingSerializer(serializers.ModelSerializer):
    end = serializers.DateTimeField(source="slot.end", read_only=True)
    office = BookingOfficeSerializer(read_only=True)
    service = BookingServiceSerializer(read_only=True)
    name = serializers.SerializerMethodField(help_text="Masked, e.g. 张*.")
    id_number = serializers.CharField(
        source="id_masked", read_only=True, help_text="Masked, e.g. 430***********1234."
    )

    class Meta:
        model = Booking
        fields = ["code", "status", "start", "end", "office", "service", "name", "id_number"]

    def get_name(self, booking: Booking) -> str:
        return mask_name(booking.name)


class IdLast4Serializer(serializers.Serializer):
    id_last4 = serializers.RegexField(
        r"^[0-9]{3}[0-9Xx]$",
        help_text="The last 4 characters of the ID number the booking was made for.",
        error_messages={"invalid": _("Enter the last 4 characters of the ID number.")},
    )


# ---- Views


class HasApiClient(permissions.BasePermission):
    """Writes need an active API client's token; without one the answer is 401."""

    def has_permission(self, request, view) -> bool:
        return isinstance(request.auth, ApiClient)


BOOKING_THROTTLES = [ClientRateThrottle, AnonIpRateThrottle]
LOOKUP_THROTTLES = [*BOOKING_THROTTLES, LookupRateThrottle]


class SlotListView(APIView):
    throttle_classes = BOOKING_THROTTLES

    @extend_schema(
        operation_id="slots_list",
        summary="The slots of one day",
        parameters=[SlotQuerySerializer, ACCEPT_LANGUAGE],
        responses={
            200: SlotSerializer(many=True),
            400: _field_errors(SlotQuerySerializer),
            401: NOT_AUTHENTICATED,
            429: RATE_LIMITED,
        },
        tags=["bookings"],
    )
    def get(self, request: Request) -> Response:
        query = SlotQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        office, service, day = (query.validated_data[k] for k in ("office", "service", "date"))
        slots = selectors.slots_for(office=office, service=service, day=day)
        closure = selectors.closure_for(office=office, service=service, day=day)
        context = {"closure": closure, "service": service, "now": timezone.now()}
        return Response(SlotSerializer(slots, many=True, context=context).data)


class BookingCreateView(APIView):
    permission_classes = [HasApiClient]
    parser_classes = [LimitedJSONParser]
    throttle_classes = BOOKING_THROTTLES

    @extend_schema(
        operation_id="bookings_create",
        summary="Book a slot",
        parameters=[IDEMPOTENCY_KEY, IDEMPOTENT_REPLAYED, ACCEPT_LANGUAGE],
        request=BookingCreateSerializer,
        responses={
            201: BookingCreatedSerializer,
            400: _field_errors(BookingCreateSerializer, "Idempotency-Key"),
            401: NOT_AUTHENTICATED,
            403: _error("Booking is paused after repeated no-shows (error `restricted`)."),
            409: _error(
                "Refused: `slot_full`, `duplicate` (an active booking for this service), "
                "`daily_limit`, `slot_unavailable`, `closed`, `outside_window`, `not_yet_open`."
            ),
            422: _error("The Idempotency-Key was used for another body."),
            429: RATE_LIMITED,
        },
        tags=["bookings"],
    )
    def post(self, request: Request) -> Response:
        data = BookingCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        client: ApiClient = request.auth
        return idempotent_response(
            request, scope=f"api-booking:{client.pk}", payload=request.data,
            run=lambda: (status.HTTP_201_CREATED, self._book(request, data.validated_data)),
        )  # fmt: skip

    def _book(self, request: Request, fields: dict) -> dict:
        create = functools.partial(actions.booking_create, service=fields["service"])
        return _booking_created(api_booking_make(request, fields, create), request)

    # ---- The common case without DRF's machinery (issue 13: a booking may cost at most twice
    # the cheapest guarded booking's CPU). Token, throttle, validation, idempotency, the action
    # and the answers are the same as post()'s; DRF's request wrapping, content negotiation,
    # serializer copies and response finalisation are what this skips. Whatever it is not
    # sure of (no or an unknown token, another content type or Accept, a body any field of
    # which it would not accept exactly as BookingCreateSerializer does, a refused throttle)
    # goes to DRF untouched, before anything was counted or written: every error answer is
    # DRF's own. The schema stays post()'s.

    def dispatch(self, request, *args, **kwargs):
        if request.method == "POST":
            response = self._fast_post(request)
            if response is not None:
                return response
        return super().dispatch(request, *args, **kwargs)

    def _fast_post(self, request: HttpRequest) -> HttpResponse | None:
        meta = request.META
        if (
            meta.get("CONTENT_TYPE", "").lower() not in _JSON_TYPES
            or meta.get("HTTP_ACCEPT", "*/*") not in _ANY_JSON
            or meta.get("QUERY_STRING")
        ):
            return None
        client = _fast_client(meta.get("HTTP_AUTHORIZATION", ""))
        key = meta.get("HTTP_IDEMPOTENCY_KEY", "").strip()
        if client is None or len(key) > 100:
            return None
        data = _fast_body(request)
        fields = _fast_fields(data) if data is not None else None
        if fields is None:
            return None
        request.auth = client  # what the throttle reads, as on DRF's request
        if not ClientRateThrottle().allow_request(request, self):
            return None  # DRF refuses it again and answers 429 with its Retry-After
        client_touch(client)
        try:
            if not key:
                return _fast_answer(self._book(request, fields), status.HTTP_201_CREATED)
            outcome = idempotent_run(
                scope=f"api-booking:{client.pk}",
                key=key,
                fingerprint=request_fingerprint(data),
                run=lambda: (status.HTTP_201_CREATED, self._book(request, fields)),
            )
        except DomainError as error:  # as core.api.exception_handler answers it
            return _fast_answer({"error": error.code, "detail": str(error)}, error.status)
        except exceptions.ValidationError as error:  # the unknown slot
            return _fast_answer(error.detail, status.HTTP_400_BAD_REQUEST)
        response = _fast_answer(outcome.body, outcome.status)
        if outcome.replayed:
            response["Idempotent-Replayed"] = "true"
        return response


def booking_fast_lane(request: HttpRequest) -> HttpResponse | None:
    """BookingCreateView's fast lane on core.api_lane's short chain (settings.API_LANES): the
    view set up as as_view() sets it up; None sends the request down the full chain."""
    view = BookingCreateView()
    view.setup(request)
    return view._fast_post(request)


# What DRF's JSON parser and renderer accept without a parameter that changes anything.
_JSON_TYPES = frozenset({"application/json", "application/json; charset=utf-8"})
_ANY_JSON = frozenset({"*/*", "application/json", "application/*"})
_RENDERER = JSONRenderer()
_ALLOW = "POST, OPTIONS"  # what DRF's finalize_response sets for this view
_PHONE = re.compile(r"1[0-9]{10}")
_NOT_TEXT = re.compile("[\x00\ud800-\udfff]")  # DRF's CharField refuses these


def _fast_client(header: str) -> ApiClient | None:
    parts = header.split()
    if len(parts) != 2 or parts[0].lower() != TOKEN_KEYWORD.lower() or not parts[1].isascii():
        return None
    try:
        return ApiClientAuthentication()._client_for(parts[1])
    except exceptions.AuthenticationFailed:
        return None


def _fast_body(request: HttpRequest) -> dict | None:
    try:
        length = int(request.META.get("CONTENT_LENGTH") or "")
    except ValueError:
        return None
    if not 0 < length <= min(settings.API_JSON["MAX_BYTES"], 64 * 1024):
        return None
    try:
        data = json.loads(request.body.decode(), parse_constant=_refuse)
    except (ValueError, RecursionError):
        return None
    return data if type(data) is dict else None


def _refuse(constant: str):
    raise ValueError(constant)  # NaN and Infinity, as DRF's strict JSON parser


def _text(data: dict, name: str, max_length: int) -> str | None:
    """A CharField's value (trimmed, not blank, not too long), or None when unsure."""
    value = data.get(name)
    if type(value) is not str:
        return None
    value = value.strip()
    if not value or len(value) > max_length or _NOT_TEXT.search(value):
        return None
    return value


def _fast_fields(data: dict) -> dict | None:
    """BookingCreateSerializer's validated data when it would surely accept `data` as is, else
    None (the serializer then says what is wrong)."""
    slot = data.get("slot")
    if type(slot) is not int or not 1 <= slot <= 2**63 - 1:
        return None
    code, name = data.get("service"), _text(data, "name", 50)
    number, phone = _text(data, "id_number", 30), _text(data, "phone", 1000)
    if type(code) is not str or name is None or number is None or phone is None:
        return None
    if not _PHONE.fullmatch(phone):
        return None
    email = data.get("email", "")
    if email != "":
        email = _text(data, "email", 1000)
        if email is None:
            return None
        try:
            validate_email(email)
        except DjangoValidationError:
            return None
    try:
        number = validate_id_number(number)
    except DjangoValidationError:
        return None
    service = selectors.service_for_booking(code=code)
    if service is None:
        return None
    return {
        "slot": slot,
        "service": service,
        "name": name,
        "id_number": number,
        "phone": phone,
        "email": email,
    }


def _fast_answer(body, code: int) -> HttpResponse:
    response = HttpResponse(_RENDERER.render(body), status=code, content_type="application/json")
    response["Allow"] = _ALLOW
    return response


class BookingDetailView(APIView):
    throttle_classes = LOOKUP_THROTTLES

    @extend_schema(
        operation_id="bookings_retrieve",
        summary="Look a booking up",
        parameters=[IdLast4Serializer, ACCEPT_LANGUAGE],
        responses={
            200: BookingSerializer,
            400: _field_errors(IdLast4Serializer),
            401: NOT_AUTHENTICATED,
            404: NOT_FOUND,
            423: LOCKED,
            429: RATE_LIMITED,
        },
        tags=["bookings"],
    )
    def get(self, request: Request, code: str) -> Response:
        query = IdLast4Serializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        booking = actions.booking_lookup(
            code=code, id_last4=query.validated_data["id_last4"], ip=client_ip(request)
        )
        return Response(BookingSerializer(booking).data)


class BookingCancelView(APIView):
    permission_classes = [HasApiClient]
    parser_classes = [LimitedJSONParser]
    throttle_classes = LOOKUP_THROTTLES

    @extend_schema(
        operation_id="bookings_cancel",
        summary="Cancel a booking",
        parameters=[ACCEPT_LANGUAGE],
        request=IdLast4Serializer,
        responses={
            200: BookingSerializer,
            400: _field_errors(IdLast4Serializer),
            401: NOT_AUTHENTICATED,
            404: NOT_FOUND,
            409: _error("The booking cannot be cancelled any more (error `illegal_transition`)."),
            423: LOCKED,
            429: RATE_LIMITED,
        },
        tags=["bookings"],
    )
    def post(self, request: Request, code: str) -> Response:
        data = IdLast4Serializer(data=request.data)
        data.is_valid(raise_exception=True)
        booking = actions.booking_lookup(
            code=code, id_last4=data.validated_data["id_last4"], ip=client_ip(request)
        )
        booking = actions.booking_cancel(booking=booking)
        return Response(BookingSerializer(booking).data)


class BookingPdfView(APIView):
    throttle_classes = BOOKING_THROTTLES

    @extend_schema(
        operation_id="bookings_pdf",
        summary="The confirmation PDF (signed link)",
        parameters=[
            OpenApiParameter(
                "sig", required=True, description="The signature from `pdf_url` (24 hours)."
            ),
            ACCEPT_LANGUAGE,
        ],
        responses={
            (200, "application/pdf"): OpenApiTypes.BINARY,
            403: _error("The link's signature is wrong or has expired (error `link_invalid`)."),
            404: _error("No such booking (error `not_found`)."),
            429: RATE_LIMITED,
        },
        tags=["bookings"],
    )
    def get(self, request: Request, code: str) -> HttpResponse:
        if not pdf_signature_valid(code, request.query_params.get("sig", "")):
            raise exceptions.PermissionDenied(
                _("This link is invalid or has expired."), code="link_invalid"
            )
        booking = get_object_or_404(
            Booking.objects.select_related("slot", "office", "service"), code=code
        )
        from .printouts import booking_pdf_stored  # loads WeasyPrint: imported when first needed

        response = HttpResponse(booking_pdf_stored(booking), content_type="application/pdf")
        response["Content-Disposition"] = f'inline; filename="booking-{booking.code}.pdf"'
        return response

    def perform_content_negotiation(self, request, force=False):
        # A PDF client may send `Accept: application/pdf`; the errors are still JSON.
        return super().perform_content_negotiation(request, force=True)
