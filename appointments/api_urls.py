from django.urls import path

from .api import (
    BookingCancelView,
    BookingCreateView,
    BookingDetailView,
    BookingPdfView,
    SlotListView,
)
from .api_bundles import BundleBookingCreateView, BundleSlotListView

urlpatterns = [
    path("slots/", SlotListView.as_view(), name="api-slot-list"),
    path("bookings/", BookingCreateView.as_view(), name="api-booking-create"),
    path("bookings/<str:code>/", BookingDetailView.as_view(), name="api-booking-detail"),
    path("bookings/<str:code>/cancel/", BookingCancelView.as_view(), name="api-booking-cancel"),
    path("bookings/<str:code>/pdf/", BookingPdfView.as_view(), name="api-booking-pdf"),
    path(
        "bundles/<slug:code>/slots/", BundleSlotListView.as_view(), name="api-bundle-slot-list"
    ),
    path(
        "bundles/<slug:code>/bookings/",
        BundleBookingCreateView.as_view(),
        name="api-bundle-booking-create",
    ),
]
