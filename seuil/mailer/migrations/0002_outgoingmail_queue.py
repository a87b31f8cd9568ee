"""The outbox on the shared queue shape (seuil.core.queue): a state, a due date, dead messages."""

from django.db import migrations, models
from django.db.models import Q


def set_states(apps, schema_editor):  # type: ignore[no-untyped-def]
    OutgoingMail = apps.get_model("mailer", "OutgoingMail")
    OutgoingMail.objects.filter(done_at__isnull=False).update(state="done")


class Migration(migrations.Migration):
    dependencies = [("mailer", "0001_initial")]

    operations = [
        migrations.RemoveIndex(model_name="outgoingmail", name="mailer_outg_sent_at_90cc95_idx"),
        migrations.RenameField(model_name="outgoingmail", old_name="next_attempt_at", new_name="due_at"),
        migrations.RenameField(model_name="outgoingmail", old_name="sent_at", new_name="done_at"),
        migrations.AlterField(
            model_name="outgoingmail",
            name="done_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="traité le"),
        ),
        migrations.AddField(
            model_name="outgoingmail",
            name="state",
            field=models.CharField(
                choices=[("pending", "en attente"), ("done", "traité"), ("dead", "abandonné")],
                default="pending",
                max_length=8,
                verbose_name="état",
            ),
        ),
        migrations.RunPython(set_states, migrations.RunPython.noop),
        migrations.AddIndex(
            model_name="outgoingmail",
            index=models.Index(
                condition=Q(state="pending"), fields=["due_at"], name="mailer_outgoingmail_due"
            ),
        ),
    ]
