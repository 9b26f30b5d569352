from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "rempart.web.portal"
    label = "portal"
    verbose_name = "Portal"
