from typing import Any

from django.apps import AppConfig
from django.db import connections
from django.db.models.signals import post_migrate


def postcode_districts_after_migrate(
    sender: AppConfig, using: str = "default", **kwargs: Any
) -> None:
    """Reload the district table from the one lookup after migrate (and after a test
    database is flushed, which empties it)."""
    from spend.models import PostcodeDistrict  # noqa: PLC0415  (apps load before their models: imported once Django is ready)
    from spend.services import postcode_districts_sync  # noqa: PLC0415  (apps load before their models: imported once Django is ready)

    if PostcodeDistrict._meta.db_table not in connections[using].introspection.table_names():
        return  # migrated only part of the way
    postcode_districts_sync(using=using)


class SpendConfig(AppConfig):
    name = "spend"
    verbose_name = "Spend ledger"

    def ready(self) -> None:
        from portal.services import home_area_changed  # noqa: PLC0415  (apps load before their models: imported once Django is ready)
        from spend import services  # noqa: PLC0415  (apps load before their models: imported once Django is ready)

        home_area_changed.connect(services.home_area_changed, dispatch_uid="spend-reclassify")
        post_migrate.connect(
            postcode_districts_after_migrate, sender=self, dispatch_uid="spend-postcode-districts"
        )
