"""python manage.py verify_audit: recompute the audit trail's hash chain from the first entry.

Prints "OK: N entries" and exits 0, or names the first entry that does not fit and exits 1 —
an entry changed, removed or inserted behind the application's back (e.g. by SQL).
"""

from django.core.management.base import BaseCommand, CommandError

from accounts.selectors_audit import audit_chain_verify


class Command(BaseCommand):
    help = "Check the audit trail's hash chain; exit status 1 at the first broken entry."

    def handle(self, *args, **options):
        report = audit_chain_verify()
        if report.ok:
            self.stdout.write(f"OK: {report.count} entries")
            return
        where = (
            f"entry id={report.broken.pk} (#{report.broken.seq})"
            if report.broken
            else "the start of the chain"
        )
        self.stdout.write(f"BROKEN at {where}: {report.reason} ({report.count} entries verified)")
        raise CommandError(f"audit trail broken at {where}", returncode=1)
