"""`python -m seuil.demo.services oidc|cas HOST PORT`: serve one demonstration service."""

import os
import sys


def main() -> None:
    kind, host, port = sys.argv[1:4]
    os.environ["SEUIL_DEMO_SERVICE"] = kind
    os.environ["DJANGO_SETTINGS_MODULE"] = "seuil.demo.services.settings"
    import django
    from django.core.servers.basehttp import WSGIServer, run
    from django.core.wsgi import get_wsgi_application

    django.setup()
    print(f"demo {kind} service at http://{host}:{port}/", flush=True)
    run(host, int(port), get_wsgi_application(), threading=True, server_cls=WSGIServer)


if __name__ == "__main__":
    main()
