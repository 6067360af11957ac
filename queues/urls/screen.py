from django.urls import path

from queues.views import screen as views_screen

app_name = "queue_screen"

urlpatterns = [
    path("<slug:code>/", views_screen.screen, name="screen"),
]
