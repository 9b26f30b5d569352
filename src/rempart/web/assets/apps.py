from django.apps import AppConfig


class AssetsConfig(AppConfig):
    name = "rempart.web.assets"
    label = "assets"
    verbose_name = "Assets"
