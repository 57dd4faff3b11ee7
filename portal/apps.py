from django.apps import AppConfig
from django.utils.module_loading import autodiscover_modules


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = "Portal"

    def ready(self) -> None:
        # The Celery app, configured from settings, before anything sends a task.
        import portal.celery  # noqa: F401, PLC0415

        # Each app's services.py or jobs.py registers the job kinds it runs
        # (portal.jobs.job_handler).
        autodiscover_modules("services", "jobs")
