"""The counter console and the live office view, under /<lang>/staff/console/ (config/urls.py)."""

from django.urls import path

from queues.views import console as views_console

app_name = "console"

urlpatterns = [
    path("", views_console.console_pick, name="pick"),
    path("<int:counter_id>/", views_console.console_counter, name="counter"),
    path("<int:counter_id>/do/<slug:action>/", views_console.console_action, name="action"),
    path("office/<int:office_id>/", views_console.office_live, name="office_live"),
]
