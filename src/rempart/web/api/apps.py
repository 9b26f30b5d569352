from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "rempart.web.api"
    label = "api"
    verbose_name = "API"
