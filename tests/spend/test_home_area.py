"""One home area, read by the ledger's SQL and by portal.locality alike: an administrator
changes it on its page, a job re-classifies the supplier sites and rebuilds the summary, and
then award monitoring and the locality table agree for a postcode that moved."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from django.db import connection
from django.test import Client, override_settings
from django.urls import reverse

from contracts import selectors as contract_selectors
from contracts import services as contract_services
from portal import locality
from portal import services as portal_services
from portal.locality import LocalityClass, classify_postcode
from portal.models import HomeArea, HomeAreaDistrict, Job
from spend import selectors
from spend.ingest.load import LOCALITY_CASE
from spend.models import PostcodeDistrict, SupplierSite
from tests.conftest import wait_for
from tests.contracts.conftest import register_row, write_csv
from tests.ledger import Line, import_lines

# Leeds moves into the home area; Preston (home under the first settings) leaves it.
LEEDS, PRESTON, MANCHESTER, YORK = "LS1 4DY", "PR1 2HE", "M1 1AE", "YO1 7HH"
YORKSHIRE = {"local_authorities": "Leeds\nBradford", "region": "Yorkshire and The Humber"}

LINES = [
    Line(1, "100", "1000.00", dt.date(2024, 5, 10), postcode=LEEDS),
    Line(2, "200", "250.00", dt.date(2024, 6, 11), postcode=PRESTON),
    Line(3, "300", "40.00", dt.date(2024, 7, 12), postcode=MANCHESTER),
    Line(4, "400", "7.00", dt.date(2024, 8, 13), postcode=YORK),
]


def _award_each_postcode(tmp_path: Path) -> None:
    rows = [
        register_row(
            f"C-{n}",
            f"Supplier {n}",
            **{
                "Award date": "2024-05-01",
                "Start date": "2024-05-01",
                "End date": "2026-12-31",
                "Awarded value": "1000.00",
                "Supplier postcode": postcode,
            },
        )
        for n, postcode in enumerate((LEEDS, PRESTON, MANCHESTER, YORK))
    ]
    result = contract_services.register_import(path=write_csv(tmp_path / "register.csv", rows))
    assert not result.skipped, result.skipped


def _expected_split(home: set[str], region: set[str]) -> dict[str, int]:
    """The 2024/25 split by class, worked out here from the lines written."""
    split = {"home": 0, "region": 0, "uk": 0}
    for line in LINES:
        place = "home" if line.postcode in home else "region" if line.postcode in region else "uk"
        split[place] += line.pence
    return split


def _ledger_split() -> dict[str, int]:
    [year] = selectors.locality_by_year([2024])
    return {"home": year.home_pence, "region": year.region_pence, "uk": year.uk_pence}


def _assert_ledger_and_register_agree() -> None:
    """Each site's class in the ledger is the class portal.locality gives its postcode."""
    for site in SupplierSite.objects.all():
        assert site.locality_class == classify_postcode(site.postcode), site.postcode


def _assert_after_the_change() -> None:
    assert _ledger_split() == _expected_split(home={LEEDS}, region={YORK})
    awards = contract_selectors.award_monitoring(2024).year
    assert (awards.home, awards.region, awards.elsewhere) == (1, 1, 2)  # Leeds; York; the rest
    _assert_ledger_and_register_agree()


@pytest.mark.django_db
def test_the_administrator_changes_the_home_area_and_ledger_and_register_move_together(
    tmp_path: Path, client: Client, administrator: object
) -> None:
    import_lines(tmp_path, LINES)
    _award_each_postcode(tmp_path)
    # The first home area (the settings': Lancashire's districts, North West).
    assert _ledger_split() == _expected_split(home={PRESTON}, region={MANCHESTER})
    awards = contract_selectors.award_monitoring(2024).year
    assert (awards.home, awards.region, awards.elsewhere) == (1, 1, 2)
    _assert_ledger_and_register_agree()

    client.force_login(administrator)  # type: ignore[arg-type]
    page = client.get(reverse("portal:home-area"))
    assert page.status_code == 200
    assert "Preston" in page.context["form"].initial["local_authorities"]
    response = client.post(reverse("portal:home-area"), YORKSHIRE)
    assert response.status_code == 302
    job = Job.objects.get(kind="spend.locality_reclassify")
    assert response["Location"] == job.get_absolute_url()
    # Until the job runs, award monitoring already follows the new area (it reads it)...
    assert classify_postcode(LEEDS) == LocalityClass.HOME
    portal_services.job_run(job_id=job.pk)  # ...and the job brings the ledger with it
    job.refresh_from_db()
    assert job.status == Job.Status.SUCCEEDED, job.error
    assert job.result["sites_changed"] == 4  # every site changed class
    assert job.result["financial_years"] == [2024]
    _assert_after_the_change()


@pytest.mark.django_db
def test_a_name_the_lookup_does_not_know_is_refused_and_nothing_changes(
    client: Client, administrator: object
) -> None:
    before = list(HomeAreaDistrict.objects.values_list("local_authority", flat=True))
    client.force_login(administrator)  # type: ignore[arg-type]
    response = client.post(
        reverse("portal:home-area"),
        {"local_authorities": "Leeds\nLeeds City Council", "region": "Yorkshire and The Humber"},
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "There is a problem" in html
    assert "no local authority called &#x27;Leeds City Council&#x27;" in html
    assert "Leeds City Council" in response.context["form"]["local_authorities"].value()
    assert list(HomeAreaDistrict.objects.values_list("local_authority", flat=True)) == before
    assert HomeArea.objects.get(pk=1).version == 1
    assert not Job.objects.exists()


@pytest.mark.django_db
def test_changing_the_settings_alone_does_not_split_the_ledger_from_the_register(
    tmp_path: Path,
) -> None:
    """The settings are only the first value: once migrated, the table is the one source. (Before,
    the ledger read the table and portal.locality the settings, so these two disagreed.)"""
    with override_settings(HOME_AREA_DISTRICTS=["Leeds"], HOME_REGION="Yorkshire and The Humber"):
        import_lines(tmp_path, LINES)
        _assert_ledger_and_register_agree()
        assert classify_postcode(PRESTON) == LocalityClass.HOME


@pytest.mark.django_db
@pytest.mark.parametrize(
    "area",
    [
        None,  # the first home area
        {"region": "Yorkshire and The Humber", "local_authorities": ["Leeds", "Bradford"]},
        {"region": "london", "local_authorities": ["westminster", "Camden"]},  # any case
    ],
)
def test_the_sql_twin_classifies_every_district_as_portal_locality_does(
    area: dict[str, object] | None,
) -> None:
    """spend.ingest.load.LOCALITY_CASE against portal.locality.classify_postcode for every
    district in the lookup, and districts it lacks or that have no local authority. The SQL
    is given districts as the import gives them (portal.locality.postcode_district), so a
    lookup row that is no postcode district ('NPT') never reaches it."""
    if area is not None:
        portal_services.home_area_set(**area)  # type: ignore[arg-type]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT v.district, "  # noqa: S608  (LOCALITY_CASE is a constant)
            + LOCALITY_CASE
            + " FROM unnest(%s::text[]) v(district) "
            "LEFT JOIN spend_postcodedistrict d ON d.district = v.district",
            [
                [
                    d
                    for d in [*locality._lookup(), "ZZ9", "BF1"]
                    if locality.postcode_district(d) == d
                ]
            ],
        )
        in_sql = dict(cursor.fetchall())
    assert len(in_sql) > 3000
    differ = {d: c for d, c in in_sql.items() if c != classify_postcode(d)}
    assert differ == {}
    assert set(in_sql.values()) == {"home", "region", "uk", "unknown"}


@pytest.mark.worker
def test_the_re_classification_runs_on_a_worker_and_the_dashboards_follow(
    celery_worker: object, tmp_path: Path, administrator: object
) -> None:
    # An earlier test on a worker may have emptied the seeded lookup (its database is flushed).
    for postcode in (LEEDS, PRESTON, MANCHESTER, YORK):
        district = locality.postcode_district(postcode)
        area = locality.district_area(district)
        assert area is not None
        PostcodeDistrict.objects.get_or_create(
            district=district,
            defaults={"local_authority": area.local_authority, "region": area.region},
        )
    portal_services.home_area_set(
        region="North West", local_authorities=["Preston", "Chorley"]
    )  # the start, here (a flushed database has none)
    Job.objects.all().delete()
    import_lines(tmp_path, LINES)
    _award_each_postcode(tmp_path)
    assert _ledger_split() == _expected_split(home={PRESTON}, region={MANCHESTER})

    [job] = portal_services.home_area_set(
        region=YORKSHIRE["region"],
        local_authorities=YORKSHIRE["local_authorities"].split("\n"),
        user=administrator,  # type: ignore[arg-type]
    )
    wait_for(lambda: Job.objects.get(pk=job.pk).is_finished, timeout=60)
    job.refresh_from_db()
    assert job.status == Job.Status.SUCCEEDED, job.error
    assert job.progress == 100
    assert job.result["sites_changed"] == 4
    _assert_after_the_change()
