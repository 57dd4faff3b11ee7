"""Seed the locality lookup, the home area and starting spending categories.

The postcode district table comes from fixtures/postcode_districts.csv; the home area from
settings.HOME_AREA_DISTRICTS at the time of migrating (afterwards it is data, edited in the
admin). Categories are a starting set a council will refine on the Categories page.
"""

import csv
from pathlib import Path

from django.conf import settings
from django.db import migrations

STARTING_CATEGORIES = {
    "Agency staff": ["509"],
    "Energy and utilities": ["512"],
    "Waste": ["521"],
    "Supplies and services": ["525", "527"],
    "Professional services": ["529"],
    "Construction and assets": ["531"],
    "Digital and ICT": ["537"],
    "Public health": ["543"],
    "Transport": ["548"],
    "Adult social care": ["551", "552"],
    "Children's services": ["561"],
}


def seed(apps, schema_editor):
    PostcodeDistrict = apps.get_model("spend", "PostcodeDistrict")
    HomeAreaAuthority = apps.get_model("spend", "HomeAreaAuthority")
    Category = apps.get_model("spend", "Category")
    CategoryRule = apps.get_model("spend", "CategoryRule")
    path = Path(settings.BASE_DIR) / "fixtures" / "postcode_districts.csv"
    with path.open(newline="", encoding="utf-8") as handle:
        rows = [
            PostcodeDistrict(district=r["district"].strip().upper(),
                             local_authority=r["local_authority"].strip(),
                             region=r["region"].strip())
            for r in csv.DictReader(handle) if r.get("district")
        ]
    PostcodeDistrict.objects.bulk_create(rows, batch_size=2000, ignore_conflicts=True)
    for name in settings.HOME_AREA_DISTRICTS:
        HomeAreaAuthority.objects.get_or_create(local_authority=name)
    for name, prefixes in STARTING_CATEGORIES.items():
        category, _ = Category.objects.get_or_create(name=name)
        for prefix in prefixes:
            CategoryRule.objects.get_or_create(account_prefix=prefix,
                                               defaults={"category": category})


class Migration(migrations.Migration):
    dependencies = [("spend", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
