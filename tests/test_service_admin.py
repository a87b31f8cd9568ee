"""IT keeps the service registry in the admin: the English name and description sit beside the
French ones."""

import pytest
from django.test import Client

from seuil.sso.models import Service

pytestmark = pytest.mark.django_db
ADD = "/admin/sso/service/add/"
NO_CAS_PREFIXES = {"cas_prefixes-TOTAL_FORMS": "0", "cas_prefixes-INITIAL_FORMS": "0"}


def test_the_form_shows_the_english_fields_labelled_in_the_fieldset_of_the_french_ones(
    it: Client,
) -> None:
    page = it.get(ADD).content.decode()
    assert "Nom en anglais" in page
    assert "Description en anglais" in page
    assert "Montré sur les pages en anglais" in page
    fields = ['id="id_name"', 'id="id_name_en"', 'id="id_description"', 'id="id_description_en"']
    positions = [page.index(field) for field in [*fields, 'id="id_url"']]
    assert positions == sorted(positions)
    assert "</fieldset>" not in page[positions[0] : positions[-1]], "one fieldset"
    assert 'for="id_name_en"' in page
    assert 'for="id_description_en"' in page


def test_the_english_labels_are_english(it: Client) -> None:
    page = it.get(ADD, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Name in English" in page
    assert "Shown on pages in English; when empty, they show the French name." in page


def test_it_saves_the_english_name_and_description(it: Client) -> None:
    response = it.post(
        ADD,
        {
            "name": "Espace de cours",
            "name_en": "Courses",
            "description": "Les cours en ligne.",
            "description_en": "Online courses.",
            "url": "https://cours.example/",
            "theme": "pedagogie",
            "position": "0",
            "shown_in_portal": "on",
            "for_statuses": ["etudiant"],
            "claims": ["email"],
            **NO_CAS_PREFIXES,
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    service = Service.objects.get()
    assert (service.name_en, service.description_en) == ("Courses", "Online courses.")
    assert service.status_codes() == {"etudiant"}


def test_the_english_texts_may_be_left_empty(it: Client) -> None:
    response = it.post(
        ADD,
        {
            "name": "Espace de cours",
            "url": "https://cours.example/",
            "theme": "pedagogie",
            "position": "0",
            "for_statuses": ["etudiant"],
            **NO_CAS_PREFIXES,
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Service.objects.get().name_en == ""
