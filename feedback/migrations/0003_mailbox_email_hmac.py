"""A lookup digest of the writer's e-mail address, so that a resident's data export and account
deletion find the messages written with their verified address; existing messages get theirs."""

from django.db import migrations, models

from core.crypto import decrypt_text, pii_hmac


def digest_existing(apps, schema_editor):
    MailboxItem = apps.get_model("feedback", "MailboxItem")
    for item in MailboxItem.objects.exclude(email_enc="").only("pk", "email_enc").iterator():
        address = decrypt_text(item.email_enc).strip().lower()
        MailboxItem.objects.filter(pk=item.pk).update(email_hmac=pii_hmac(address))


class Migration(migrations.Migration):
    dependencies = [
        ("feedback", "0002_mailbox_attachment_file"),
    ]

    operations = [
        migrations.AddField(
            model_name="mailboxitem",
            name="email_hmac",
            field=models.CharField(blank=True, db_index=True, editable=False, max_length=64),
        ),
        migrations.RunPython(digest_existing, migrations.RunPython.noop, elidable=True),
    ]
