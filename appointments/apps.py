from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AppointmentsConfig(AppConfig):
    name = "appointments"
    verbose_name = _("Appointments")

    def ready(self) -> None:
        # Residents' account events from accounts.signals (deletion, data export).
        # The closures calendar's holidays and make-up working days join core's working days.
        from core.workdays import register_overrides

        from . import receivers  # noqa: F401
        from .selectors import calendar_overrides

        register_overrides(calendar_overrides)
