"""The methods of a sign-in belong to the chain its code starts (sso.Chain.methods), not to a
table of their own keyed by the code's digest: the live codes' methods move to their chains,
then CodeMethods goes. Both tables key a code by the same SHA-256 digest."""

from typing import Any

from django.db import migrations, models


def into_chains(apps: Any, schema_editor: Any) -> None:
    Chain = apps.get_model("sso", "Chain")
    CodeMethods = apps.get_model("sso", "CodeMethods")
    alias = schema_editor.connection.alias
    for code, methods in CodeMethods.objects.using(alias).values_list("code", "methods"):
        Chain.objects.using(alias).filter(code=code).update(methods=methods)


def out_of_chains(apps: Any, schema_editor: Any) -> None:
    """Backwards: the chains of codes not yet redeemed give their methods back."""
    Chain = apps.get_model("sso", "Chain")
    CodeMethods = apps.get_model("sso", "CodeMethods")
    alias = schema_editor.connection.alias
    live = Chain.objects.using(alias).filter(family__isnull=True).exclude(methods={})
    CodeMethods.objects.using(alias).bulk_create(
        CodeMethods(code=chain.code, methods=chain.methods, created_at=chain.created_at)
        for chain in live
    )


class Migration(migrations.Migration):
    dependencies = [
        ("sso", "0005_codemethods_service_require_mfa"),
    ]

    operations = [
        migrations.AddField(
            model_name="chain",
            name="methods",
            field=models.JSONField(blank=True, default=dict),
        ),
        migrations.RunPython(into_chains, out_of_chains),
        migrations.DeleteModel(name="CodeMethods"),
    ]
