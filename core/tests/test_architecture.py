"""The import rules of docs STYLE.md, checked on the source so they cannot quietly erode.

An app imports another app's `models`, `actions`, `selectors` and `constants` only (or a
submodule of them once they have become packages), never its views, forms, api or tasks;
`core` knows no domain; no module is called `services.py`; no app shadows the standard library.
"""

import ast
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
APPS = (
    "core",
    "accounts",
    "services",
    "appointments",
    "queues",
    "documents",
    "feedback",
    "reports",
    "notifications",
)
# accounts.admin_scoping: the office-scoping mixin every staff admin uses, and
# accounts.decorators: `resident_required` for every app's residents' pages (one place each,
# STYLE.md). All of core is public (its modules are documented for every app's use).
# accounts.admin_audit: the audited admin mixin; accounts.api_auth: the API's token check, which
# every app's API uses and the booking fast lane (appointments/api.py) calls directly.
PUBLIC_MODULES = {
    "models", "actions", "selectors", "constants", "admin_scoping", "admin_audit", "decorators",
    "api_auth",
}
# Test code may also share another app's factories (STYLE.md: `<app>/tests/factories.py`).
PUBLIC_FOR_TESTS = {("tests", "factories")}

# core is the bottom layer. Two exceptions, on purpose: the home page
# (core/views/health.py) shows the catalogue through services.selectors, and core/urls.py
# routes to that page.
CORE_EXCEPTIONS = {"core/views/health.py", "core/urls.py"}

SKIP_DIRS = {".venv", "venv", "node_modules", "staticfiles", "media", ".git", "__pycache__"}


def python_files(app: str) -> list[Path]:
    return sorted(
        path
        for path in (ROOT / app).rglob("*.py")
        if not SKIP_DIRS & set(path.relative_to(ROOT).parts)
    )


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imported_modules(path: Path) -> list[tuple[int, str]]:
    """Every module a file imports, with relative imports resolved to absolute names."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = (
        module_name(path) if path.name == "__init__.py" else module_name(path).rpartition(".")[0]
    )
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                prefix = ".".join(base + ([node.module] if node.module else []))
            else:
                prefix = node.module or ""
            # `from services import selectors` imports the module services.selectors.
            found += [(node.lineno, f"{prefix}.{alias.name}") for alias in node.names]
    return found


def allowed_from_other_app(module: str, *, in_tests: bool) -> bool:
    app, *parts = module.split(".")
    if app == "core":
        return True  # core is the shared toolbox (ID numbers, i18n, PDF, tokens): all of it
    if not parts:
        return False  # the bare package: everything it exposes would be reachable
    if parts[0] in PUBLIC_MODULES:
        return True
    return in_tests and tuple(parts[:2]) in PUBLIC_FOR_TESTS


def violations(app: str) -> list[str]:
    found = []
    for path in python_files(app):
        relative = path.relative_to(ROOT).as_posix()
        in_tests = "tests" in path.relative_to(ROOT).parts
        for line, module in imported_modules(path):
            other = module.split(".")[0]
            if other not in APPS or other == app:
                continue
            if app == "core" and relative not in CORE_EXCEPTIONS:
                found.append(f"{relative}:{line} core imports {module}")
            elif not allowed_from_other_app(module, in_tests=in_tests):
                found.append(f"{relative}:{line} imports {module}")
    return found


@pytest.mark.parametrize("app", APPS)
def test_apps_import_only_models_actions_selectors_and_constants_of_other_apps(app):
    assert violations(app) == []


def test_core_imports_no_other_app_outside_the_listed_exceptions():
    outside = [v for v in violations("core") if "core imports" in v]
    assert outside == []
    for exception in CORE_EXCEPTIONS:
        assert (ROOT / exception).exists(), f"stale exception {exception}: remove it"


def test_the_checker_sees_the_imports_it_should():
    # The rules above pass only if the checker reads imports right; prove it on the home page.
    modules = {m for _line, m in imported_modules(ROOT / "core" / "views" / "health.py")}
    assert "services.selectors" in modules
    assert not allowed_from_other_app("services.views", in_tests=False)
    assert not allowed_from_other_app("services.api", in_tests=True)
    assert not allowed_from_other_app("services", in_tests=False)
    assert allowed_from_other_app("appointments.actions.booking", in_tests=False)
    assert allowed_from_other_app("services.tests.factories", in_tests=True)
    assert not allowed_from_other_app("services.tests.factories", in_tests=False)


def test_relative_imports_are_resolved(tmp_path, monkeypatch):
    package = tmp_path / "queues"
    package.mkdir()
    (package / "views.py").write_text(
        "from . import models\nfrom ..services import views\nfrom .models import Ticket\n"
    )
    monkeypatch.setattr(sys.modules[__name__], "ROOT", tmp_path)
    modules = [m for _line, m in imported_modules(package / "views.py")]
    assert modules == ["queues.models", "services.views", "queues.models.Ticket"]


def project_python_files() -> list[Path]:
    return [
        path for path in ROOT.rglob("*.py") if not SKIP_DIRS & set(path.relative_to(ROOT).parts)
    ]


def test_no_module_is_named_services_py():
    # "service" means a government service; the write layer is actions.py.
    offenders = [
        p.relative_to(ROOT).as_posix() for p in project_python_files() if p.name == "services.py"
    ]
    assert offenders == []


def test_no_package_is_named_services_either_outside_the_catalogue_app():
    offenders = [
        p.relative_to(ROOT).as_posix()
        for p in ROOT.rglob("services")
        if p.is_dir()
        and p != ROOT / "services"
        and not SKIP_DIRS & set(p.relative_to(ROOT).parts)
        and (p / "__init__.py").exists()
    ]
    assert offenders == []


@pytest.mark.parametrize("app", APPS)
def test_no_app_is_named_after_a_standard_library_module(app):
    assert (ROOT / app / "apps.py").exists()
    assert app not in sys.stdlib_module_names


def test_no_top_level_package_shadows_the_standard_library():
    packages = [
        p.name
        for p in ROOT.iterdir()
        if p.is_dir() and (p / "__init__.py").exists() and p.name not in SKIP_DIRS
    ]
    assert set(APPS) <= set(packages)
    assert [name for name in packages if name in sys.stdlib_module_names] == []
