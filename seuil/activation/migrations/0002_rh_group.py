"""The "RH" group: what HR operators need to register people and hand out Sésames, and no more."""

from django.apps.registry import Apps
from django.contrib.auth.management import create_permissions
from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor

PERMISSIONS = [
    ("people", "view_person"),
    ("people", "add_person"),
    ("people", "change_person"),
    ("accounts", "view_account"),
    ("activation", "view_sesame"),
    ("activation", "add_sesame"),
    ("activation", "view_charteracceptance"),
    ("audit", "view_auditevent"),
]


def create_group(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    # On a fresh database permissions only appear after the migrations: make them now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, verbosity=0, apps=apps)
        app_config.models_module = None
    group_model = apps.get_model("auth", "Group")
    permission_model = apps.get_model("auth", "Permission")
    group, _ = group_model.objects.get_or_create(name="RH")
    for app_label, codename in PERMISSIONS:
        group.permissions.add(
            permission_model.objects.get(content_type__app_label=app_label, codename=codename)
        )


def delete_group(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    apps.get_model("auth", "Group").objects.filter(name="RH").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("activation", "0001_initial"),
        ("people", "0001_initial"),
        ("accounts", "0002_account_pending_email_account_recovery_email_and_more"),
        ("audit", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_group, delete_group)]
