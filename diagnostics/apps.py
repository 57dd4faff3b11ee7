from typing import Any

from django.apps import AppConfig
from django.db import connections
from django.db.models.signals import post_migrate


def sync_frameworks_after_migrate(sender: AppConfig, using: str = "default", **kwargs: Any) -> None:
    """Keep the Framework table in step with diagnostics/frameworks/*.json after every migrate
    (so `make run` and the test database always have the shipped frameworks). Idempotent."""
    from diagnostics.models import Framework  # noqa: PLC0415  (apps load before their models: imported once Django is ready)
    from diagnostics.services import frameworks_sync  # noqa: PLC0415  (apps load before their models: imported once Django is ready)

    if Framework._meta.db_table not in connections[using].introspection.table_names():
        return  # migrated only part of the way: nothing to fill yet
    frameworks_sync(using=using)


class DiagnosticsConfig(AppConfig):
    name = "diagnostics"
    verbose_name = "Self-assessment"

    def ready(self) -> None:
        post_migrate.connect(
            sync_frameworks_after_migrate, sender=self, dispatch_uid="diagnostics-sync-frameworks"
        )
