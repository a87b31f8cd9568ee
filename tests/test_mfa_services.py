"""register_service --require-mfa, and the admin's flag."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client

from seuil.accounts.models import Account
from seuil.sso.models import Service
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db
COURSES = ["Espace de cours", "--url", "https://cours.example/", "--theme", "pedagogie"]


def register(*args: str) -> None:
    call_command("register_service", *args, stdout=StringIO())


def test_the_flag_is_set_kept_by_an_update_and_lifted() -> None:
    register(*COURSES, "--for", "etudiant", "--require-mfa")
    assert Service.objects.get().require_mfa
    register("Espace de cours", "--description", "Cours en ligne.")
    assert Service.objects.get().require_mfa
    register("Espace de cours", "--no-require-mfa")
    assert not Service.objects.get().require_mfa


def test_the_admin_sets_the_flag() -> None:
    register(*COURSES, "--for", "etudiant")
    service = Service.objects.get()
    it = Client()
    it.force_login(Account.objects.create_superuser("it-test", PASSWORD))
    page = it.get(f"/admin/sso/service/{service.pk}/change/").content.decode()
    assert 'name="require_mfa"' in page
    assert "second facteur exigé" in page.lower()
