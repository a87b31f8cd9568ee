from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_safe

from seuil.accounts.passwords import common_passwords_asset

YEAR = 365 * 24 * 3600


@login_not_required  # the pages that fetch it are public
@require_safe
def common_passwords(request: HttpRequest, digest: str) -> HttpResponse:
    """The list password.js checks against, kept by browsers and proxies for good under its
    digest. An older digest (the settings changed since the page was served) gets today's list,
    which nobody may keep."""
    asset = common_passwords_asset()
    current = digest == asset.digest
    if current and request.headers.get("If-None-Match") == f'"{asset.digest}"':
        response = HttpResponse(status=304)
    elif "gzip" in request.headers.get("Accept-Encoding", ""):
        response = HttpResponse(asset.gzipped, content_type="application/json")
        response["Content-Encoding"] = "gzip"
    else:
        response = HttpResponse(asset.body, content_type="application/json")
    patch_vary_headers(response, ["Accept-Encoding"])
    if current:
        response["Cache-Control"] = f"public, max-age={YEAR}, immutable"
        response["ETag"] = f'"{asset.digest}"'
    else:
        response["Cache-Control"] = "no-cache"
    return response
