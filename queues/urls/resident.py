from django.urls import path

from queues.views import kiosk as views_kiosk

app_name = "queues"

urlpatterns = [
    path("kiosk/", views_kiosk.kiosk_start, name="kiosk_start"),
    path("kiosk/setup/<str:token>/", views_kiosk.kiosk_setup, name="kiosk_setup"),
    path("kiosk/walk-in/", views_kiosk.kiosk_categories, name="kiosk_categories"),
    path("kiosk/walk-in/<slug:category>/", views_kiosk.kiosk_services, name="kiosk_services"),
    path("kiosk/take/<slug:service>/", views_kiosk.kiosk_walk_in, name="kiosk_walk_in"),
    path("kiosk/ticket/<str:token>/", views_kiosk.kiosk_ticket, name="kiosk_ticket"),
    path("kiosk/ticket/<str:token>/print/", views_kiosk.kiosk_ticket_pdf, name="kiosk_ticket_pdf"),
    path("t/<str:token>/", views_kiosk.ticket_follow, name="ticket_follow"),
]
