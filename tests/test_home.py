"""The ENT's public home page: what the ENT is, and the "Gestion de compte" menu."""

import pytest
from django.test import Client


def test_it_explains_the_ent_and_offers_validation_personnel(client: Client) -> None:
    page = client.get("/").content.decode()
    assert "Qu'est-ce que l'ENT\u00a0?" in page, "with French typography"
    assert "tant qu'il est inscrit ou rattaché à l'établissement" in page
    assert "Gestion de compte" in page
    assert 'href="/gestion-de-compte/validation-personnel/"' in page
    assert '<html lang="fr">' in page


def test_it_speaks_english_when_the_browser_asks(client: Client) -> None:
    page = client.get("/", HTTP_ACCEPT_LANGUAGE="en-GB,en;q=0.9").content.decode()
    assert '<html lang="en">' in page
    assert "What is the ENT?" in page
    assert "Staff activation" in page


@pytest.mark.django_db  # a POST: it counts against the address's limit
def test_the_language_can_be_chosen(client: Client) -> None:
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/"}, follow=True)
    assert "Account management" in response.content.decode()
