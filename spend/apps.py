from django.apps import AppConfig


class SpendConfig(AppConfig):
    name = "spend"
    verbose_name = "Spend ledger"

    def ready(self) -> None:
        from portal.services import home_area_changed  # noqa: PLC0415  (apps load before their models: imported once Django is ready)
        from spend import services  # noqa: PLC0415  (apps load before their models: imported once Django is ready)

        home_area_changed.connect(services.home_area_changed, dispatch_uid="spend-reclassify")
