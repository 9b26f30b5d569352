from django.apps import AppConfig


class DiagnosticConfig(AppConfig):
    name = "rempart.web.diagnostic"
    label = "diagnostic"
    verbose_name = "Diagnostic"
