from django.urls import path

from .api import (
    BookingCancelView,
    BookingCreateView,
    BookingDetailView,
    BookingPdfView,
    SlotListView,
)

urlpatterns = [
    path("slots/", SlotListView.as_view(), name="api-slot-list"),
    path("bookings/", BookingCreateView.as_view(), name="api-booking-create"),
    path("bookings/<str:code>/", BookingDetailView.as_view(), name="api-booking-detail"),
    path("bookings/<str:code>/cancel/", BookingCancelView.as_view(), name="api-booking-cancel"),
    path("bookings/<str:code>/pdf/", BookingPdfView.as_view(), name="api-booking-pdf"),
]
