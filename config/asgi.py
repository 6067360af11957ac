"""The ASGI application: the push streams under /push/ (queues/streams.py, core/push.py), and
Django for everything else. Production runs it under uvicorn for /push/ only, beside gunicorn
(deploy/run.sh push, docs/deploy.md "Pushed updates"); the dev server (`make run`) serves the
whole site with it."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django_application = get_asgi_application()  # sets Django up before the imports below

from channels.routing import URLRouter  # noqa: E402
from django.urls import path, re_path  # noqa: E402

from core.checks import refuse_to_start  # noqa: E402
from queues.streams import urlpatterns as queue_streams  # noqa: E402

refuse_to_start()

application = URLRouter(
    [
        path("push/", URLRouter(queue_streams)),
        re_path(r"", django_application),
    ]
)
