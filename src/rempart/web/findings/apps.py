from django.apps import AppConfig


class FindingsConfig(AppConfig):
    name = "rempart.web.findings"
    label = "findings"
    verbose_name = "Findings"
