"""`make run`'s two demonstration services: small Django applications that know seuil only as
their identity provider, over HTTP, through well-kept client libraries: Authlib for OpenID
Connect (`oidc.py`), python-cas for CAS 3 (`cas.py`). Each runs in its own process,
`python -m seuil.demo.services oidc|cas`, with `settings.py`, never seuil's.
"""
