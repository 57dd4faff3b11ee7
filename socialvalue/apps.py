from typing import Any

from django.apps import AppConfig
from django.db import connections
from django.db.models.signals import post_migrate


def load_starter_after_migrate(sender: AppConfig, using: str = "default", **kwargs: Any) -> None:
    """Give a new portal the starter measures catalogue (after migrate, and after a test
    database is flushed). Idempotent: once any catalogue is there, it is left alone."""
    from socialvalue.models import MeasureProxy  # noqa: PLC0415  (apps load before their models: imported once Django is ready)
    from socialvalue.services import catalogue_load_starter  # noqa: PLC0415  (apps load before their models: imported once Django is ready)

    if MeasureProxy._meta.db_table not in connections[using].introspection.table_names():
        return  # migrated only part of the way
    catalogue_load_starter(using=using)


class SocialValueConfig(AppConfig):
    name = "socialvalue"
    verbose_name = "Social value"

    def ready(self) -> None:
        post_migrate.connect(
            load_starter_after_migrate, sender=self, dispatch_uid="socialvalue-load-starter"
        )
