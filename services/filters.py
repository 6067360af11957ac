"""One set of filters for the catalogue pages and the API, so both filter the same way."""

import django_filters
from django.utils.translation import gettext_lazy as _

from . import selectors
from .models import Category, Channel, District, Office, OfficeKind, Service


class ServiceFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_text", label=_("Search"))
    category = django_filters.ModelChoiceFilter(
        field_name="category",
        to_field_name="code",
        queryset=Category.objects.all(),
        label=_("Category"),
        empty_label=_("All categories"),
    )
    channel = django_filters.ChoiceFilter(
        choices=Channel.choices,
        method="filter_channel",
        label=_("How"),
        empty_label=_("Any channel"),
    )

    class Meta:
        model = Service
        fields = ["q", "category", "channel"]

    def filter_text(self, queryset, name, value):
        return selectors.service_search(queryset, value)

    def filter_channel(self, queryset, name, value):
        return selectors.service_filter_channel(queryset, value)


class OfficeFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_text", label=_("Search"))
    district = django_filters.ModelChoiceFilter(
        field_name="district",
        to_field_name="code",
        queryset=District.objects.all(),
        label=_("District"),
        empty_label=_("All districts"),
    )
    service = django_filters.ModelChoiceFilter(
        field_name="services",
        to_field_name="code",
        queryset=Service.objects.filter(is_active=True),
        label=_("Service"),
        empty_label=_("Any service"),
    )
    kind = django_filters.ChoiceFilter(
        choices=OfficeKind.choices, label=_("Kind"), empty_label=_("Any kind")
    )

    class Meta:
        model = Office
        fields = ["q", "district", "service", "kind"]

    def filter_text(self, queryset, name, value):
        return selectors.office_search(queryset, value)
