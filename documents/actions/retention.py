"""Retention of document requests (settings.RETENTION["DOCUMENT_DAYS"], docs/deploy.md).

A request that is closed (decided, withdrawn, or a draft never sent) is kept DOCUMENT_DAYS after
its last change and then purged whole: its materials and their files, its history, any pending
decision, its certificate with the certificate's PDF and verification records. A purged
certificate then verifies as "not found"; its validity (3 months by default) ended years before.
Each batch is one transaction with one audit entry; files go after the commit."""

import datetime as dt

from django.db import transaction

from accounts.actions import audit_record
from accounts.models import AuditAction
from core.retention import apply_in_batches
from core.uploads import private_storage

from ..constants import OPEN_STATUSES
from ..models import Certificate, DocumentRequest, RequestMaterial


def request_purge_before(*, cutoff: dt.datetime) -> int:
    """Purge every closed request last changed before `cutoff`; the number purged."""
    due = DocumentRequest.objects.filter(updated_at__lt=cutoff).exclude(status__in=OPEN_STATUSES)
    return apply_in_batches(due, lambda ids: _purge(ids=ids, cutoff=cutoff))


@transaction.atomic
def _purge(*, ids: list[int], cutoff: dt.datetime) -> int:
    files = list(RequestMaterial.objects.filter(request_id__in=ids).values_list("file", flat=True))
    pdfs = Certificate.objects.filter(request_id__in=ids).values_list("pdf", flat=True)
    files += [name for name in pdfs if name]
    Certificate.objects.filter(request_id__in=ids).delete()  # its checks go with it (CASCADE)
    done, _per_model = DocumentRequest.objects.filter(pk__in=ids).delete()
    purged = len(ids) if done else 0
    if purged:
        audit_record(
            actor=None, action=AuditAction.PURGE, obj=DocumentRequest,
            details={"count": purged, "before": cutoff.isoformat()},
        )
    transaction.on_commit(lambda: _delete_files(files))
    return purged


def _delete_files(names: list[str]) -> None:
    for name in names:
        private_storage.delete(name)
