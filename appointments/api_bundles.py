"""一件事 booked as one visit through the API, on the pages' action (booking_create_bundle):

    GET  /api/v1/bundles/<code>/slots/?office=&date=   the bundle's own slots of one day
    POST /api/v1/bundles/<code>/bookings/              one booking for every part

The catalogue's /api/v1/bundles/ (services.api) lists the bundles and their parts."""

import functools

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import ApiClient
from core.api import LimitedJSONParser, idempotent_response
from core.idnumbers import validate_id_number
from services import selectors as catalogue
from services.models import Bundle, Office, Service

from . import actions, selectors
from .api import (
    ACCEPT_LANGUAGE,
    BOOKING_THROTTLES,
    IDEMPOTENCY_KEY,
    IDEMPOTENT_REPLAYED,
    NOT_AUTHENTICATED,
    RATE_LIMITED,
    BookingCreatedSerializer,
    HasApiClient,
    SlotSerializer,
    _booking_created,
    _error,
    _field_errors,
    api_booking_make,
)


def _bundle(code: str) -> tuple[Bundle, list[Service]]:
    bundle = catalogue.bundle_list_public().filter(code=code).first()
    parts = catalogue.bundle_parts(bundle) if bundle is not None else []
    if bundle is None or not parts:
        raise exceptions.NotFound(_("No bundle has this code."))
    return bundle, parts


class BundleSlotQuerySerializer(serializers.Serializer):
    office = serializers.CharField(help_text="Office code.")
    date = serializers.DateField(input_formats=["%Y-%m-%d"], help_text="The day, YYYY-MM-DD.")

    def validate_office(self, code: str) -> Office:
        offices = selectors.office_list_bookable_for_bundle(bundle=self.context["bundle"])
        office = offices.filter(code=code).first()
        if office is None:
            raise serializers.ValidationError(
                _("This office takes no bookings for this bundle as one visit.")
            )
        return office


class BundleBookingCreateSerializer(serializers.Serializer):
    slot = serializers.IntegerField(
        min_value=1,
        max_value=2**63 - 1,
        help_text="A slot id from /api/v1/bundles/{code}/slots/.",
    )
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
        return validate_id_number(value)


class BundleRefSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    parts = serializers.ListField(child=serializers.CharField(), help_text="Service codes.")


class BundleBookingCreatedSerializer(BookingCreatedSerializer):
    bundle = BundleRefSerializer(read_only=True)


class BundleSlotListView(APIView):
    throttle_classes = BOOKING_THROTTLES

    @extend_schema(
        operation_id="bundles_slots_list",
        summary="A bundle's one-visit slots of one day",
        description="Slots long enough for every part of the bundle, at an office with a counter "
        "that serves them all.",
        parameters=[BundleSlotQuerySerializer, ACCEPT_LANGUAGE],
        responses={
            200: SlotSerializer(many=True),
            400: _field_errors(BundleSlotQuerySerializer),
            404: _error("No bundle has this code (error `not_found`)."),
            429: RATE_LIMITED,
        },
        tags=["bundles"],
    )
    def get(self, request: Request, code: str) -> Response:
        bundle, parts = _bundle(code)
        query = BundleSlotQuerySerializer(data=request.query_params, context={"bundle": bundle})
        query.is_valid(raise_exception=True)
        office, day = query.validated_data["office"], query.validated_data["date"]
        slots = selectors.slots_for(office=office, service=parts[0], day=day, bundle=bundle)
        closure = selectors.closure_for(office=office, service=parts[0], day=day)
        context = {"closure": closure, "service": parts[0], "now": timezone.now()}
        return Response(SlotSerializer(slots, many=True, context=context).data)


class BundleBookingCreateView(APIView):
    permission_classes = [HasApiClient]
    parser_classes = [LimitedJSONParser]
    throttle_classes = BOOKING_THROTTLES

    @extend_schema(
        operation_id="bundles_bookings_create",
        summary="Book one visit for every part of a bundle",
        description="One booking code, one confirmation and, at check-in, one queue ticket "
        "handled at one counter.",
        parameters=[IDEMPOTENCY_KEY, IDEMPOTENT_REPLAYED, ACCEPT_LANGUAGE],
        request=BundleBookingCreateSerializer,
        responses={
            201: BundleBookingCreatedSerializer,
            400: _field_errors(BundleBookingCreateSerializer, "Idempotency-Key"),
            401: NOT_AUTHENTICATED,
            403: _error("Booking is paused after repeated no-shows (error `restricted`)."),
            404: _error("No bundle has this code (error `not_found`)."),
            409: _error(
                "Refused: `bundle_not_served` (not a slot of this bundle's), "
                "`bundle_slot_too_short`, `slot_full`, `duplicate`, `daily_limit`, "
                "`slot_unavailable`, `closed`, `outside_window`, `not_yet_open`."
            ),
            422: _error("The Idempotency-Key was used for another body."),
            429: RATE_LIMITED,
        },
        tags=["bundles"],
    )
    def post(self, request: Request, code: str) -> Response:
        bundle, _parts = _bundle(code)
        data = BundleBookingCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        client: ApiClient = request.auth
        return idempotent_response(
            request, scope=f"api-bundle-booking:{client.pk}",
            payload={"bundle": bundle.code, **request.data},
            run=lambda: (status.HTTP_201_CREATED, _book(request, bundle, data.validated_data)),
        )  # fmt: skip


def _book(request: Request, bundle: Bundle, fields: dict) -> dict:
    create = functools.partial(actions.booking_create_bundle, bundle=bundle)
    booking = api_booking_make(request, fields, create)
    parts = [part.code for part in selectors.booking_parts(booking)]
    answer = _booking_created(booking, request)
    answer["bundle"] = {"code": bundle.code, "name": str(bundle.name), "parts": parts}
    return answer
