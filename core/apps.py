from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = _("Core")

    def ready(self) -> None:
        from celery.signals import before_task_publish, task_prerun

        from . import checks  # noqa: F401  (registers the deployment checks)
        from .observability import celery_publish_request_id, celery_task_request_id

        # The request id travels with the tasks a request sends (core/observability.py).
        before_task_publish.connect(celery_publish_request_id, weak=False)
        task_prerun.connect(celery_task_request_id, weak=False)
