from django.conf import settings
from django.http import HttpRequest


def institution(request: HttpRequest) -> dict[str, str]:
    return {
        "institution": settings.SEUIL_INSTITUTION_NAME,
        "portal": settings.SEUIL_PORTAL_NAME,
    }
