from django.urls import path

from appointments import views
from appointments.views import account as views_account
from appointments.views import bundle as views_bundle

app_name = "appointments"

# Fixed words first: a service code never shadows them.
urlpatterns = [
    path("", views.service_choose, name="book_service"),
    path("done/<slug:code>/", views.booking_done, name="booking_done"),
    path("manage/", views.booking_lookup, name="booking_lookup"),
    path("manage/<slug:code>/", views.booking_manage, name="booking_manage"),
    path("manage/<slug:code>/cancel/", views.booking_cancel, name="booking_cancel"),
    path("manage/<slug:code>/reschedule/", views.booking_reschedule, name="booking_reschedule"),
    path("manage/<slug:code>/pdf/", views.booking_pdf, name="booking_pdf"),
    path("manage/<slug:code>/ics/", views.booking_ics, name="booking_ics"),
    path("offer/<str:token>/", views.offer_accept, name="offer_accept"),
    path("waiting/<str:token>/", views.waiting_manage, name="waiting_manage"),
    path("mine/", views_account.my_bookings, name="my_bookings"),
    path("mine/attach/", views_account.booking_attach, name="booking_attach"),
    path("mine/<slug:code>/", views_account.my_booking_open, name="my_booking_open"),
    path("bundle/<slug:bundle_code>/", views_bundle.bundle_office_choose, name="bundle_office"),
    path(
        "bundle/<slug:bundle_code>/<slug:office_code>/",
        views_bundle.bundle_slot_choose,
        name="bundle_time",
    ),
    path(
        "bundle/<slug:bundle_code>/<slug:office_code>/<int:slot_id>/",
        views_bundle.bundle_booking_create,
        name="bundle_details",
    ),
    path("<slug:service_code>/", views.office_choose, name="book_office"),
    path("<slug:service_code>/<slug:office_code>/", views.slot_choose, name="book_time"),
    path("<slug:service_code>/<slug:office_code>/wait/", views.waiting_join, name="waiting_join"),
    path(
        "<slug:service_code>/<slug:office_code>/<int:slot_id>/",
        views.booking_create,
        name="book_details",
    ),
]
