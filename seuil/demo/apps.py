from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "seuil.demo"
    verbose_name = "Démonstration"
