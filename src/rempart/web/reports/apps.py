from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "rempart.web.reports"
    label = "reports"
    verbose_name = "Reports"
