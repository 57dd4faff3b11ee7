"""Bank of England Bank Rate changes since 2016, for late-payment interest. Data, not code:
administrators add later changes on the Scope and settings page."""

import datetime as dt
from decimal import Decimal

from django.apps.registry import Apps
from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor

# (effective from, Bank Rate %), from the Bank of England's published Bank Rate history.
RATES = (
    ("2016-08-04", "0.25"),
    ("2017-11-02", "0.50"),
    ("2018-08-02", "0.75"),
    ("2020-03-11", "0.25"),
    ("2020-03-19", "0.10"),
    ("2021-12-16", "0.25"),
    ("2022-02-03", "0.50"),
    ("2022-03-17", "0.75"),
    ("2022-05-05", "1.00"),
    ("2022-06-16", "1.25"),
    ("2022-08-04", "1.75"),
    ("2022-09-22", "2.25"),
    ("2022-11-03", "3.00"),
    ("2022-12-15", "3.50"),
    ("2023-02-02", "4.00"),
    ("2023-03-23", "4.25"),
    ("2023-05-11", "4.50"),
    ("2023-06-22", "5.00"),
    ("2023-08-03", "5.25"),
    ("2024-08-01", "5.00"),
    ("2024-11-07", "4.75"),
    ("2025-02-06", "4.50"),
    ("2025-05-08", "4.25"),
    ("2025-08-07", "4.00"),
    ("2025-12-18", "3.75"),
)


def seed(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    BaseRate = apps.get_model("payments", "BaseRate")
    for day, rate in RATES:
        BaseRate.objects.get_or_create(
            effective_from=dt.date.fromisoformat(day), defaults={"rate": Decimal(rate)}
        )


class Migration(migrations.Migration):
    dependencies = [("payments", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
