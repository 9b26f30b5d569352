from django.apps import AppConfig


class OrgsConfig(AppConfig):
    name = "rempart.web.orgs"
    label = "orgs"
    verbose_name = "Organisations"
