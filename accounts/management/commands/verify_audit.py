"""python manage.py verify_audit: check the sealed audit trail.

Checks every sealed batch (its head, the issuer's signature on it, the chain of heads), every
entry against the hash its batch sealed, that entries are missing only below a legitimate sealed
purge, and the export file of heads (AUDIT_HEAD_EXPORT_DIR/audit-heads.jsonl) against the
database. `--head NUMBER:HEX` (repeatable) checks heads an auditor kept from
/.well-known/onewindow-audit-heads.json. Prints "OK: …" and exits 0, or names the first entry
or batch that does not fit and exits 1.
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from accounts.selectors.audit import audit_trail_verify


def _head(value: str) -> tuple[int, str]:
    number, _sep, head = value.partition(":")
    return int(number), head.strip().lower()


class Command(BaseCommand):
    help = "Check the sealed audit trail; exit status 1 at the first broken entry or batch."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--export", type=Path, help="the export file (default: settings)")
        parser.add_argument(
            "--head", type=_head, action="append", default=[], help="NUMBER:HEAD held elsewhere"
        )

    def handle(self, *args, export: Path | None = None, head: list | None = None, **options):
        report = audit_trail_verify(export=export, known_heads=head or [])
        if report.ok:
            self.stdout.write(
                f"OK: {report.entries} entries in {report.batches} sealed batches"
                f" ({report.exported} heads exported), {report.unsealed} not sealed yet"
                + (f", purged through entry {n}" if (n := report.purged_through) else "")
            )
            return
        self.stdout.write(
            f"BROKEN at {report.where}: {report.reason}"
            f" ({report.entries} entries in {report.batches} batches verified before it)"
        )
        raise CommandError(f"audit trail broken at {report.where}", returncode=1)
