import os

from django.conf import settings
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
application = get_wsgi_application()

# With DEBUG=0 a web process refuses to serve with per-process rate limits, a default SECRET_KEY
# or missing personal-data keys (core/checks.py): the worker fails to boot and gunicorn stops.
from core.checks import refuse_to_start  # noqa: E402 - needs the apps loaded above

refuse_to_start()

# Before the first request (each gunicorn worker imports this module, at each start and each
# --max-requests recycling): the URLconf, the catalogs and the templates, which the first
# requests would otherwise load while the first clerks wait (core/warmup.py).
if not settings.DEBUG:
    from core.warmup import warm_up

    warm_up()

# The waiting room's API answers before Django's request cycle (core/waiting_room_door.py).
from core.waiting_room_door import wrap  # noqa: E402

application = wrap(application)

# The views loaded, what lives as long as the worker goes out of the garbage collector's rounds
# (core/process.py).
from core.process import settle_garbage_collector  # noqa: E402

settle_garbage_collector()
