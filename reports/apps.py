from django.apps import AppConfig


class ReportsConfig(AppConfig):
    """The reports people take away: the committee scrutiny report, its job, pages and command.

    The top layer: it reads every feature app's selectors; nothing imports it.
    """

    name = "reports"
    verbose_name = "Reports"

    def ready(self) -> None:
        from reports import committee, services  # noqa: F401,PLC0415  (register the report job kinds)
