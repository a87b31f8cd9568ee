from django.db import migrations


class Migration(migrations.Migration):
    """The catalogue now lives in seuil.sso (copied by sso.0002), with statuses as rows."""

    dependencies = [
        ("portal", "0001_initial"),
        ("sso", "0002_services_from_the_portal"),
    ]

    operations = [migrations.DeleteModel(name="Service")]
