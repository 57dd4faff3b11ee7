from django.apps import AppConfig

# The quarterly publication runs early on the first day of each quarter and publishes the
# quarter that has just ended (the job's default). It goes through the portal's scheduled-job
# task, so each run leaves a Job record like any other.
QUARTERLY_PUBLICATION = {
    "task": "portal.start_scheduled_job",
    "args": ("contracts.publish", "Quarterly contract register publication"),
}


class ContractsConfig(AppConfig):
    name = "contracts"
    verbose_name = "Contract register"

    def ready(self) -> None:
        """Add the quarterly publication to ``settings.CELERY_BEAT_SCHEDULE``.

        The app owns its schedule rather than settings: the dict is mutable and Celery reads it
        (``app.conf.beat_schedule``) only when beat starts, after Django's apps are ready.
        """
        from celery.schedules import crontab  # noqa: PLC0415  (apps load before their models: imported once Django is ready)
        from django.conf import settings  # noqa: PLC0415  (apps load before their models: imported once Django is ready)

        from contracts import selectors, services  # noqa: F401,PLC0415  (registers the job kinds)
        from spend import register_links  # noqa: PLC0415  (apps load before their models: imported once Django is ready)

        register_links.register(
            register_links.RegisterLinks(
                payments_off_contract=selectors.off_contract_payments,
                payments_under_contract=selectors.payments_under_contract,
                contract=selectors.payments_contract,
                supplier_contracts=selectors.supplier_contracts,
                warm=selectors.register_warm,
            )
        )

        settings.CELERY_BEAT_SCHEDULE.setdefault(
            "contracts-publish-quarterly",
            {
                **QUARTERLY_PUBLICATION,
                "schedule": crontab(minute=30, hour=6, day_of_month=1, month_of_year="1,4,7,10"),
            },
        )
        # Each morning: a termination notice drafted for every Act contract that has ended.
        settings.CELERY_BEAT_SCHEDULE.setdefault(
            "contracts-propose-terminations",
            {
                "task": "portal.start_scheduled_job",
                "args": (
                    "contracts.propose_terminations",
                    "Termination notices for ended contracts",
                ),
                "schedule": crontab(minute=15, hour=6),
            },
        )
