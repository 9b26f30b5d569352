from django.apps import AppConfig


class ScansConfig(AppConfig):
    name = "rempart.web.scans"
    label = "scans"
    verbose_name = "Scans"
