"""A WSGI application for tests/test_web_worker.py: answers its worker's pid after sleeping
the seconds given as the query string. Django is set up first, as config/wsgi.py does, for the
worker's warm-up (config/web_worker.py)."""

import os
import time

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django.setup()


def application(environ, start_response):
    started = time.time()
    time.sleep(float(environ.get("QUERY_STRING") or 0))
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [f"{os.getpid()} {started}".encode()]
