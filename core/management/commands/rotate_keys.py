"""`python manage.py rotate_keys`: re-encrypt personal data with the current key.

Rotation: put a new key first in FIELD_ENCRYPTION_KEYS (keep the old ones after it), deploy, run
this command, then drop the old keys. With --hmac it also recomputes the lookup digests after
PII_HMAC_KEY changed. Models declare their encrypted columns as
`encrypted_fields = {"<ciphertext field>": "<hmac field or None>"}`."""

from typing import Any

from django.apps import apps
from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction
from django.db.models import Model

from core.crypto import decrypt_text, encrypt_text, needs_reencryption, pii_hmac


class Command(BaseCommand):
    help = "Re-encrypt every encrypted column with the first FIELD_ENCRYPTION_KEYS key."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--hmac", action="store_true", help="Also recompute lookup HMACs.")
        parser.add_argument("--batch", type=int, default=500)

    def handle(self, *args: Any, hmac: bool = False, batch: int = 500, **options: Any) -> None:
        for model in apps.get_models():
            fields = getattr(model, "encrypted_fields", None)
            if not fields:
                continue
            changed = self._rotate(model, fields, hmac, batch)
            self.stdout.write(f"{model._meta.label}: {changed} rows re-encrypted")

    def _rotate(self, model: type[Model], fields: dict, with_hmac: bool, batch: int) -> int:
        changed = 0
        pks = list(model._default_manager.values_list("pk", flat=True))
        for start in range(0, len(pks), batch):
            with transaction.atomic():
                rows = model._default_manager.select_for_update().filter(
                    pk__in=pks[start : start + batch]
                )
                for row in rows:
                    updates = self._row_updates(row, fields, with_hmac)
                    if updates:
                        model._default_manager.filter(pk=row.pk).update(**updates)
                        changed += 1
        return changed

    @staticmethod
    def _row_updates(row: Model, fields: dict, with_hmac: bool) -> dict:
        updates = {}
        for enc_field, hmac_field in fields.items():
            token = getattr(row, enc_field)
            if not token:
                continue
            plain = decrypt_text(token)
            if needs_reencryption(token):
                updates[enc_field] = encrypt_text(plain)
            if with_hmac and hmac_field:
                updates[hmac_field] = pii_hmac(plain)
        return updates
