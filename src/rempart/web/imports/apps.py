from django.apps import AppConfig


class ImportsConfig(AppConfig):
    name = "rempart.web.imports"
    label = "imports"
    verbose_name = "Imports"
