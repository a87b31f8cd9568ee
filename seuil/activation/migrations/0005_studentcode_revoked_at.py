"""A student code voided by a newer one is now marked revoked, not used: `used_at` is left to
the activation that spent the code, so that "used" always means an account was activated with
it. The codes voided before this migration are told apart by their newer code, issued in the
same second as the old one's `used_at`."""

from datetime import timedelta

from django.db import migrations, models
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps

SAME_ISSUE = timedelta(seconds=1)


def split_voided(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    StudentCode = apps.get_model("activation", "StudentCode")
    for code in StudentCode.objects.filter(used_at__isnull=False).iterator():
        newer = StudentCode.objects.filter(
            account_id=code.account_id,
            created_at__gt=code.created_at,
            created_at__gte=code.used_at - SAME_ISSUE,
            created_at__lte=code.used_at,
        )
        if newer.exists():
            StudentCode.objects.filter(pk=code.pk).update(revoked_at=code.used_at, used_at=None)


def join_voided(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    StudentCode = apps.get_model("activation", "StudentCode")
    StudentCode.objects.filter(revoked_at__isnull=False).update(used_at=models.F("revoked_at"))


class Migration(migrations.Migration):
    dependencies = [("activation", "0004_studentcode")]

    operations = [
        migrations.AddField(
            model_name="studentcode",
            name="revoked_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="révoqué le"),
        ),
        migrations.RunPython(split_voided, join_voided),
    ]
