"""What a web process loads once, loaded before it takes its first request.

A fresh gunicorn worker imports the URLconf (and with it every view), the translation catalogs
of each language and compiles each template the first time a request needs them: about 0.7 s
of CPU for the first request and tens of milliseconds for the first page of each kind, paid
by whoever comes first, at every start and every recycling of a worker (`--max-requests`).
On a busy morning that is the clerks' first presses (issue 16: the slowest 5 % of the
console's calls were all first requests of a fresh worker). config/wsgi.py calls `warm_up()`
as each worker loads the application, before it accepts a connection (not with DEBUG).
"""

import logging
import time
from pathlib import Path

from django.conf import settings
from django.template import engines
from django.template.backends.django import DjangoTemplates
from django.urls import get_resolver
from django.utils import translation

logger = logging.getLogger(__name__)

TEMPLATE_SUFFIXES = (".html", ".txt")


def _project_template_names(engine: DjangoTemplates) -> list[str]:
    """The project's own templates (its template folders and its apps'), not the libraries'."""
    root = Path(settings.BASE_DIR).resolve()
    folders = [Path(d) for d in engine.engine.dirs]
    if engine.engine.app_dirs:
        from django.apps import apps

        folders += [Path(app.path) / "templates" for app in apps.get_app_configs()]
    names = set()
    for folder in folders:
        folder = folder.resolve()
        if not folder.is_dir() or root not in folder.parents or ".venv" in folder.parts:
            continue
        for path in folder.rglob("*"):
            if path.suffix in TEMPLATE_SUFFIXES and path.is_file():
                names.add(path.relative_to(folder).as_posix())
    return sorted(names)


def warm_up() -> dict[str, int]:
    """Import the URLconf and build its reverse tables for every language, load every
    language's catalog, compile the project's templates into the cached loader. Never fails:
    what cannot be loaded here is loaded by the request that needs it, as without warm-up."""
    started = time.process_time()
    done = {"languages": 0, "templates": 0, "failed": 0}
    resolver = get_resolver()
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            translation.gettext("OneWindow")  # loads the catalogs of this language
            resolver.reverse_dict  # noqa: B018 - built for this language on first use
        done["languages"] += 1
    for engine in engines.all():
        if not isinstance(engine, DjangoTemplates):
            continue
        for name in _project_template_names(engine):
            try:
                engine.get_template(name)
                done["templates"] += 1
            except Exception:  # noqa: BLE001 - an include-only fragment, a template of a test
                done["failed"] += 1
    logger.info(
        "warm-up: %(languages)s languages, %(templates)s templates (%(failed)s not compiled) "
        "in %(ms)s ms of CPU",
        {**done, "ms": round((time.process_time() - started) * 1000)},
    )
    return done
