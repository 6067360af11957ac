from django.urls import path

from . import views_screen

app_name = "queue_screen"

urlpatterns = [
    path("<slug:code>/", views_screen.screen, name="screen"),
]
