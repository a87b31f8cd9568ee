"""The portal's catalogue becomes the registry: each service is copied with its four status
columns turned into status rows. The portal's table is dropped by portal.0002, after this."""

from django.db import migrations

STATUS_COLUMNS = {
    "for_etudiant": "etudiant",
    "for_administratif": "administratif",
    "for_enseignant": "enseignant",
    "for_enseignant_chercheur": "enseignant-chercheur",
}
PROFILE_AND_EMAIL = [
    "name", "given_name", "family_name", "preferred_username", "email", "email_verified",
]


def copy(apps, schema_editor):
    Old = apps.get_model("portal", "Service")
    New = apps.get_model("sso", "Service")
    ServiceStatus = apps.get_model("sso", "ServiceStatus")
    for old in Old.objects.all():
        new = New.objects.create(
            name=old.name,
            description=old.description,
            url=old.url,
            theme=old.theme,
            position=old.position,
            shown_in_portal=True,
            claims=PROFILE_AND_EMAIL,
        )
        ServiceStatus.objects.bulk_create(
            ServiceStatus(service=new, status=status)
            for column, status in STATUS_COLUMNS.items()
            if getattr(old, column)
        )


def copy_back(apps, schema_editor):
    Old = apps.get_model("portal", "Service")
    New = apps.get_model("sso", "Service")
    for new in New.objects.prefetch_related("statuses"):
        have = {row.status for row in new.statuses.all()}
        Old.objects.create(
            name=new.name,
            description=new.description,
            url=new.url,
            theme=new.theme,
            position=new.position,
            **{column: status in have for column, status in STATUS_COLUMNS.items()},
        )


class Migration(migrations.Migration):
    dependencies = [
        ("sso", "0001_initial"),
        ("portal", "0001_initial"),
    ]

    operations = [migrations.RunPython(copy, copy_back)]
