"""Browser tests: Playwright driving Debian's chromium (never a downloaded browser)."""

import os
import shutil
import urllib.request

import pytest

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]
PHONE = {
    "viewport": {"width": 360, "height": 780},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
}
DESKTOP = {"viewport": {"width": 1366, "height": 900}}


@pytest.fixture(scope="session")
def browser():
    if not os.path.exists(CHROMIUM):
        pytest.skip("Debian's chromium is not installed (make test installs it with apt)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture(params=["phone", "desktop"])
def page(request, browser):
    from playwright.sync_api import expect

    options = PHONE if request.param == "phone" else DESKTOP
    context = browser.new_context(locale="zh-CN", **options)
    page = context.new_page()
    page.set_default_timeout(15_000)
    # expect() waits as long as the page's own actions: under `make test` another xdist worker
    # shares the cores, and a first search loads jieba's dictionary in the live server.
    expect.set_options(timeout=15_000)
    page.form_factor = request.param
    yield page
    context.close()


class DemoRows:
    """The demo city as rows: seed_demo runs once per worker (and again on a new day, as its
    booking window starts today); each later test gets the same rows written back into the
    tables the previous test's flush emptied, a copy instead of a rebuild. The rows are every
    table's, content types and permissions included, so the ids the demo's rows point at are
    the ones written back with them."""

    def __init__(self) -> None:
        self.day = None
        self.tables: dict[str, tuple[list[str], list[tuple]]] = {}

    def load(self, url: str) -> None:
        from django.contrib.contenttypes.models import ContentType
        from django.core.cache import cache
        from django.core.management import call_command
        from django.db import connection, transaction
        from django.utils import timezone

        first = False
        with transaction.atomic():
            if self.day == timezone.localdate():
                self._write(connection)
            else:
                first = self.day is None
                call_command("seed_demo", "--quiet")
                self.tables = self._read(connection)
                self.day = timezone.localdate()
        if first:
            # The worker's first page loads the URLconf, templates and translations: once here,
            # not inside the browser's first 15 s wait.
            urllib.request.urlopen(url + "/zh-hans/", timeout=120).close()  # noqa: S310
        # What the process remembers of the previous test's rows goes, as after a rebuild: the
        # content types by id, and the cache (staff contexts by user id, rate-limit counts).
        ContentType.objects.clear_cache()
        cache.clear()

    @staticmethod
    def _read(connection) -> dict[str, tuple[list[str], list[tuple]]]:
        tables = {}
        quote = connection.ops.quote_name
        with connection.cursor() as cursor:
            for table in connection.introspection.django_table_names(only_existing=True):
                cursor.execute(f"SELECT * FROM {quote(table)}")  # noqa: S608 (Django's names)
                rows = cursor.fetchall()
                if connection.vendor == "sqlite":  # its driver reads times but cannot write them
                    rows = [tuple(_sqlite_value(value) for value in row) for row in rows]
                tables[table] = ([column[0] for column in cursor.description], rows)
        return tables

    def _write(self, connection) -> None:
        from django.core.management.color import no_style

        quote = connection.ops.quote_name
        flush = connection.ops.sql_flush(no_style(), list(self.tables), allow_cascade=True)
        connection.ops.execute_sql_flush(flush)
        with connection.cursor() as cursor:
            for table, (columns, rows) in self.tables.items():
                if not rows:
                    continue
                names = ", ".join(quote(column) for column in columns)
                row = "(" + ", ".join(["%s"] * len(columns)) + ")"
                step = max(1, 900 // len(columns))  # SQLite's limit of parameters per statement
                for first in range(0, len(rows), step):
                    batch = rows[first : first + step]
                    cursor.execute(
                        f"INSERT INTO {quote(table)} ({names}) VALUES {', '.join([row] * len(batch))}",  # noqa: S608,E501
                        [value for values in batch for value in values],
                    )


def _sqlite_value(value):
    import datetime as dt

    return value.isoformat() if isinstance(value, dt.time) else value


@pytest.fixture(scope="session")
def demo_rows():
    return DemoRows()


@pytest.fixture
def site(live_server, transactional_db, demo_rows):
    """The live server on the demo city (seed_demo's rows, built once per worker)."""
    demo_rows.load(live_server.url)
    return live_server.url
