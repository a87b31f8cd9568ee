"""HR locks and unlocks accounts: the RH group gets the permission."""

from django.apps.registry import Apps
from django.contrib.auth.management import create_permissions
from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor


def grant(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, verbosity=0, apps=apps)
        app_config.models_module = None
    permission = apps.get_model("auth", "Permission").objects.get(
        content_type__app_label="accounts", codename="lock_account"
    )
    apps.get_model("auth", "Group").objects.get(name="RH").permissions.add(permission)


def revoke(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    group = apps.get_model("auth", "Group").objects.get(name="RH")
    group.permissions.remove(*group.permissions.filter(codename="lock_account"))


class Migration(migrations.Migration):
    dependencies = [
        ("activation", "0002_rh_group"),
        ("accounts", "0005_alter_account_options"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
