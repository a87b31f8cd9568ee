"""Void the stored secret answers that normalise to fewer than three letters or digits.

Before this, the three-character minimum was judged on the raw text: "???" and "😀😀😀" were
accepted and stored as the hash of "", which any other punctuation-only answer matched (issue 10).
Only the hash is stored, so the short forms are tried against it: "" and every single letter or
digit, 37 hashes per account with a question (about 0.6 s each at the default Argon2 cost). Two
characters would be 2,600 hashes per account; they are left to the per-account lockout and the
three-answers-a-day rule, which make 1,300 guesses take over a year.

A voided answer keeps its question, so that the person is asked, at sign-in and on "Mes
informations de récupération", to choose another; the question path stays closed until then.
"""

import string
from typing import Any

from django.contrib.auth.hashers import check_password, is_password_usable, make_password
from django.db import migrations

SHORT_FORMS = ["", *string.ascii_lowercase, *string.digits]


def void_short_answers(apps: Any, schema_editor: Any) -> None:
    Account = apps.get_model("accounts", "Account")
    with_question = Account.objects.exclude(secret_question="").exclude(secret_answer="")
    for pk, encoded in with_question.values_list("pk", "secret_answer").iterator():
        if not is_password_usable(encoded):
            continue
        if any(check_password(form, encoded) for form in SHORT_FORMS):
            Account.objects.filter(pk=pk).update(secret_answer=make_password(None))


class Migration(migrations.Migration):
    dependencies = [("accounts", "0005_alter_account_options")]

    operations = [migrations.RunPython(void_short_answers, migrations.RunPython.noop, elidable=True)]
