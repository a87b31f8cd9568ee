"""The second control for bench/load.py: the least a Django application with a form can do.

Django 5.2 with one middleware, CSRF (which a form needs), and one view. A GET answers a form
with its token and sets the CSRF cookie, like seuil's sign-in page; a POST is checked for CSRF,
verifies one Argon2id hash with seuil's costs, and redirects, like a sign-in. No template engine,
no session, no database. Beside hash_only.py, gunicorn's floor, it shows what Django's own request
cycle costs on the machine: the part of seuil's overhead that no change to seuil can remove.
"""

import django
from django.conf import settings
from django.core.wsgi import get_wsgi_application
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.middleware.csrf import get_token
from django.urls import path
from hash_only import ENCODED, PASSWORD, VERIFY  # the same hash, costs and password

FORM = '<form method="post"><input name="csrfmiddlewaretoken" value="{}"></form>'


def form(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        VERIFY(ENCODED, PASSWORD)
        return HttpResponseRedirect("/")
    return HttpResponse(FORM.format(get_token(request)))


urlpatterns = [path("", form), path("<path:rest>", form)]

settings.configure(
    DEBUG=False,
    SECRET_KEY="bench-" + "k" * 50,
    ALLOWED_HOSTS=["127.0.0.1"],
    ROOT_URLCONF=__name__,
    MIDDLEWARE=["django.middleware.csrf.CsrfViewMiddleware"],
    INSTALLED_APPS=[],
    USE_I18N=False,
)
django.setup()
application = get_wsgi_application()
