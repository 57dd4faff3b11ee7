"""A spend file in a layout nobody knows: the administrator maps its columns once."""

from pathlib import Path

import pytest
from django.db.models import Sum
from django.test import Client
from django.urls import reverse

from spend import services
from spend.models import ColumnMappingProfile, ImportBatch, Payment

pytestmark = pytest.mark.django_db

ODD_HEADER = "Payee,Paid on,Value (GBP),Our ref,Team\n"


def odd_file(tmp_path: Path, name: str, rows: list[tuple[str, str, str, str]]) -> Path:
    path = tmp_path / name
    body = "".join(f'"{payee}",{day},"{value}",{ref},Highways\n' for payee, day, value, ref in rows)
    path.write_text(ODD_HEADER + body)
    return path


def test_map_once_then_files_with_the_same_headings_import_by_themselves(
    tmp_path: Path, administrator, client: Client, settings
) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    first = odd_file(
        tmp_path,
        "march.csv",
        [("Acme Ltd", "03/03/2024", "1,200.50", "A1"), ("Bolt & Co", "15/03/2024", "99.99", "A2")],
    )
    with first.open("rb") as source:
        batch = services.batch_receive(source=source, file_name=first.name, user=administrator)
    services.batches_start(batches=[batch], user=administrator)
    from portal.services import job_run

    batch.refresh_from_db()
    assert batch.job_id is not None
    job_run(job_id=batch.job_id)
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.REJECTED

    client.force_login(administrator)
    page = client.get(reverse("spend:import-mapping", args=[batch.pk])).content.decode()
    assert "Value (GBP)" in page
    assert "Paid on" in page
    response = client.post(
        reverse("spend:import-mapping", args=[batch.pk]),
        {
            "name": "Highways team spend",
            "supplier_name": "Payee",
            "payment_date": "Paid on",
            "amount": "Value (GBP)",
            "payment_reference": "Our ref",
            "cost_centre": "Team",
        },
    )
    assert response.status_code == 302
    retry = ImportBatch.objects.exclude(pk=batch.pk).get()
    assert retry.job_id is not None
    job_run(job_id=retry.job_id)
    retry.refresh_from_db()
    assert retry.status == ImportBatch.Status.LOADED, retry.error
    assert Payment.objects.aggregate(t=Sum("amount_pence"))["t"] == 120050 + 9999
    assert ColumnMappingProfile.objects.get().name == "Highways team spend"

    second = odd_file(tmp_path, "april.csv", [("Acme Ltd", "02/04/2024", "10.00", "B1")])
    [april] = services.import_paths(paths=[second])
    assert april.status == ImportBatch.Status.LOADED, april.error
    assert april.mapping_profile is not None
    assert Payment.objects.filter(financial_year=2024).aggregate(t=Sum("amount_pence"))["t"] == 1000


def test_a_mapping_without_the_amount_is_refused(
    tmp_path: Path, administrator, client: Client, settings
) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    path = odd_file(tmp_path, "march.csv", [("Acme Ltd", "03/03/2024", "1.00", "A1")])
    [batch] = services.import_paths(paths=[path])
    client.force_login(administrator)
    response = client.post(
        reverse("spend:import-mapping", args=[batch.pk]),
        {"name": "Half a mapping", "supplier_name": "Payee", "payment_date": "Paid on"},
    )
    assert response.status_code == 200
    assert "Choose the column that holds the amount" in response.content.decode()
    assert not ColumnMappingProfile.objects.exists()
