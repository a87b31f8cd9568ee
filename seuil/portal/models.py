# The service catalogue moved to seuil.sso.models, where it became the SSO registry.
