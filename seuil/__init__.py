"""seuil: identity and account activation for universities."""
