from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class QueuesConfig(AppConfig):
    name = "queues"
    verbose_name = _("Queues")

    def ready(self) -> None:
        # Residents' account events from accounts.signals (deletion, data export).
        from . import receivers  # noqa: F401
