"""The lowest layer: shapes and registries the apps build on. It imports nothing else from seuil."""
