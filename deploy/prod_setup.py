"""Prepares a production run on this machine (`make prod`, deploy/prod.sh); no Django needed.

    python deploy/prod_setup.py secrets FILE   writes FILE with fresh SECRET_KEY,
                                               FIELD_ENCRYPTION_KEYS and PII_HMAC_KEY (0600),
                                               only if FILE does not exist yet
    python deploy/prod_setup.py createdb URL   creates the PostgreSQL database of URL if missing
    python deploy/prod_setup.py supervisor OUT renders deploy/supervisord.conf.template into OUT
                                               (ROOT, ONEWINDOW_RUN_DIR, WORKER_PROCESSES from
                                               the environment)

The secrets file is made once and kept: losing FIELD_ENCRYPTION_KEYS or PII_HMAC_KEY makes the
ID numbers already stored unreadable (README "Personal data").
"""

import base64
import os
import secrets
import string
import sys
from pathlib import Path
from urllib.parse import unquote, urlsplit


def write_secrets(path: Path) -> bool:
    if path.exists():
        return False
    key = lambda: base64.b64encode(os.urandom(32)).decode()  # noqa: E731
    text = (
        "# Production secrets for `make prod`, generated once by deploy/prod_setup.py.\n"
        "# Keep this file (and a copy in your password safe): without these keys the ID\n"
        "# numbers stored in the database cannot be read. Never commit it.\n"
        f"SECRET_KEY={secrets.token_urlsafe(50)}\n"
        f"FIELD_ENCRYPTION_KEYS={key()}\n"
        f"PII_HMAC_KEY={key()}\n"
    )
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(text)
    return True


def create_database(url: str) -> bool:
    import psycopg
    from psycopg import sql

    parts = urlsplit(url)
    if parts.scheme not in ("postgres", "postgresql", "pgsql"):
        return False
    name = unquote(parts.path.lstrip("/"))
    server = parts._replace(path="/postgres").geturl().replace("postgres://", "postgresql://", 1)
    with psycopg.connect(server, autocommit=True, connect_timeout=5) as conn:
        found = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if found:
            return False
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return True


def render_supervisor(out: Path, environ: dict[str, str]) -> None:
    """supervisord's configuration for this checkout: ${NAME}s of the template from `environ`
    (ROOT defaults to the checkout); a missing one is an error, not an empty value."""
    root = Path(__file__).resolve().parent.parent
    template = string.Template((root / "deploy" / "supervisord.conf.template").read_text())
    out.write_text(template.substitute({"ROOT": str(root), **environ}))


def main() -> int:
    command, argument = sys.argv[1], sys.argv[2]
    if command == "secrets":
        if write_secrets(Path(argument)):
            print(f"[prod] generated production secrets into {argument} (keep it; never commit)")
        return 0
    if command == "createdb":
        if create_database(argument):
            print(f"[prod] created database {urlsplit(argument).path.lstrip('/')}")
        return 0
    if command == "supervisor":
        render_supervisor(Path(argument), dict(os.environ))
        return 0
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main())
