"""Public read-only API of the catalogue: /api/v1/services/, /api/v1/offices/ and the 一件事
bundles /api/v1/bundles/."""

from django.db.models import Prefetch
from django.urls import reverse
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import exceptions, serializers, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from . import selectors
from .filters import OfficeFilter, ServiceFilter
from .models import (
    Bundle,
    Category,
    Counter,
    District,
    Material,
    Office,
    OpeningHours,
    Service,
)

ACCEPT_LANGUAGE = OpenApiParameter(
    name="Accept-Language",
    location=OpenApiParameter.HEADER,
    required=False,
    description="zh-Hans (default) or en: the language of names and descriptions.",
)


class CategorySerializer(serializers.ModelSerializer):
    name = serializers.CharField(read_only=True)

    class Meta:
        model = Category
        fields = ["code", "name", "ticket_letter"]


class DistrictSerializer(serializers.ModelSerializer):
    name = serializers.CharField(read_only=True)

    class Meta:
        model = District
        fields = ["code", "name"]


class MaterialSerializer(serializers.ModelSerializer):
    name = serializers.CharField(read_only=True)
    note = serializers.CharField(read_only=True)

    class Meta:
        model = Material
        fields = ["name", "note", "original_required", "copies", "is_optional"]


class OfficeRefSerializer(serializers.ModelSerializer):
    name = serializers.CharField(read_only=True)
    district = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = Office
        fields = ["code", "name", "district"]


class ServiceSerializer(serializers.ModelSerializer):
    name = serializers.CharField(read_only=True)
    description = serializers.CharField(read_only=True)
    category = CategorySerializer(read_only=True)
    channel_display = serializers.CharField(source="get_channel_display", read_only=True)
    materials = MaterialSerializer(many=True, read_only=True)
    offices = serializers.SerializerMethodField()
    fully_online = serializers.SerializerMethodField(
        help_text="True when the whole service can be done online (全程网办), with no visit."
    )
    apply_url = serializers.SerializerMethodField(
        help_text="Where a resident applies online; null for a counter-only service."
    )

    class Meta:
        model = Service
        fields = [
            "code",
            "name",
            "description",
            "category",
            "channel",
            "channel_display",
            "fee",
            "time_limit_days",
            "counter_minutes",
            "materials",
            "offices",
            "fully_online",
            "apply_url",
        ]

    def get_fully_online(self, service: Service) -> bool:
        return bool(getattr(service, "online_apply_code", ""))

    def get_apply_url(self, service: Service) -> str | None:
        code = getattr(service, "online_apply_code", "")
        if not code:
            return None
        path = reverse("documents:request_apply", args=[code])
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request else path

    def get_offices(self, service: Service) -> list[str]:
        return [o.code for o in service.offices.all() if o.is_active]


class HoursSerializer(serializers.ModelSerializer):
    class Meta:
        model = OpeningHours
        fields = ["weekday", "opens", "closes"]


class CounterSerializer(serializers.ModelSerializer):
    name = serializers.CharField(read_only=True)
    services = serializers.SerializerMethodField()

    class Meta:
        model = Counter
        fields = ["number", "name", "serves_all", "services"]

    def get_services(self, counter: Counter) -> list[str]:
        return [s.code for s in selectors.counter_services(counter)]


class OfficeSerializer(serializers.ModelSerializer):
    name = serializers.CharField(read_only=True)
    address = serializers.CharField(read_only=True)
    transit = serializers.CharField(read_only=True)
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)
    district = DistrictSerializer(read_only=True)
    hours = HoursSerializer(many=True, read_only=True)
    is_open_now = serializers.SerializerMethodField()
    services = serializers.SerializerMethodField()
    counters = CounterSerializer(many=True, read_only=True)

    class Meta:
        model = Office
        fields = [
            "code",
            "name",
            "kind",
            "kind_display",
            "district",
            "address",
            "transit",
            "phone",
            "latitude",
            "longitude",
            "hours",
            "is_open_now",
            "services",
            "counters",
        ]

    def get_is_open_now(self, office: Office) -> bool:
        return selectors.office_open_state(office, at=self.context.get("now")).is_open

    def get_services(self, office: Office) -> list[str]:
        return [s.code for s in office.services.all() if s.is_active]


@extend_schema_view(
    list=extend_schema(parameters=[ACCEPT_LANGUAGE]),
    retrieve=extend_schema(parameters=[ACCEPT_LANGUAGE]),
)
class ServiceViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = ServiceSerializer
    filterset_class = ServiceFilter
    lookup_field = "code"

    def get_queryset(self):
        return selectors.service_with_online_application(
            selectors.service_list_public()
        ).prefetch_related("materials", "offices")


@extend_schema_view(
    list=extend_schema(parameters=[ACCEPT_LANGUAGE]),
    retrieve=extend_schema(parameters=[ACCEPT_LANGUAGE]),
)
class OfficeViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = OfficeSerializer
    filterset_class = OfficeFilter
    lookup_field = "code"

    def get_queryset(self):
        return (
            selectors.office_list_public()
            .prefetch_related(
                "services",
                Prefetch(
                    "counters",
                    queryset=Counter.objects.filter(is_active=True).prefetch_related(
                        "services", "office__services"
                    ),
                ),
            )
            .distinct()
        )

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "now": timezone.now()}


# --- 一件事 bundles ------------------------------------------------------------------------------


class BundlePartSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="Service code.")
    name = serializers.CharField()
    channel = serializers.CharField(help_text="counter, online or both.")
    counter_minutes = serializers.IntegerField(help_text="Typical minutes at the counter.")
    online = serializers.SerializerMethodField(
        help_text="Whether this part is applied for online by POST /api/v1/bundles/{code}/"
        "applications/."
    )

    def get_online(self, service: Service) -> bool:
        return bool(getattr(service, "online_apply_code", ""))


class BundleSerializer(serializers.Serializer):
    code = serializers.CharField(source="bundle.code")
    name = serializers.CharField(source="bundle.name")
    description = serializers.CharField(source="bundle.description")
    parts = BundlePartSerializer(source="services", many=True)
    counter_minutes = serializers.IntegerField(
        help_text="One visit for every part takes about this long at one counter."
    )
    offices = serializers.SerializerMethodField(
        help_text="Codes of the offices where the bundle is booked as one visit (a schedule "
        "takes it, with a counter serving every part). Book one visit with "
        "GET /api/v1/bundles/{code}/slots/ and POST /api/v1/bundles/{code}/bookings/."
    )

    def get_offices(self, view: selectors.BundleView) -> list[str]:
        return [office.code for office in view.offices]


class BundleViewSet(viewsets.GenericViewSet):
    """一件事: the services one life event needs, applied for online once or booked as one
    visit."""

    lookup_field = "code"
    serializer_class = BundleSerializer
    filter_backends: list = []  # no filter: the page is the list's only parameter

    @extend_schema(parameters=[ACCEPT_LANGUAGE], responses=BundleSerializer(many=True))
    def list(self, request: Request) -> Response:
        # A page, as every list of the API (the default pagination class): only the page's
        # bundles are read as the detail reads them.
        page = self.paginate_queryset(selectors.bundle_list_public())
        views = [selectors.bundle_get_public(code=b.code) for b in page or []]
        return self.get_paginated_response(BundleSerializer(views, many=True).data)

    @extend_schema(
        parameters=[
            OpenApiParameter("code", str, OpenApiParameter.PATH, description="Bundle code."),
            ACCEPT_LANGUAGE,
        ],
        responses=BundleSerializer,
    )
    def retrieve(self, request: Request, code: str) -> Response:
        try:
            view = selectors.bundle_get_public(code=code)
        except Bundle.DoesNotExist:
            raise exceptions.NotFound() from None
        return Response(BundleSerializer(view).data)
