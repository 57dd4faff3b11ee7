from django.apps import AppConfig


class SpendConfig(AppConfig):
    name = "spend"
    verbose_name = "Spend ledger"

    def ready(self) -> None:
        from portal.services import home_area_changed
        from spend import services

        home_area_changed.connect(services.home_area_changed, dispatch_uid="spend-reclassify")
