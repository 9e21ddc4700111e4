from django.apps import AppConfig


class ReanimatorConfig(AppConfig):
    name = "reanimator"
    verbose_name = "Reanimator"

    def ready(self) -> None:
        from reanimator import checks  # noqa: F401  (registers the system checks)
