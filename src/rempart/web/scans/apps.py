from django.apps import AppConfig


class ScansConfig(AppConfig):
    name = "rempart.web.scans"
    label = "scans"
    verbose_name = "Scans"

    def ready(self) -> None:
        # Every Django process (portal, API, CLI), not only the worker started with
        # ``celery -A``, must send tasks through the app configured from the settings;
        # otherwise ``.delay()`` goes to Celery's default app and its default AMQP broker.
        import rempart.web.celery_app  # noqa: F401
