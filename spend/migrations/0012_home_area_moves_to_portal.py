"""The home area moves to the foundation (portal.HomeAreaDistrict), read there by the
ledger's SQL and by portal.locality alike; any districts held here replace the ones the portal
seeded from settings."""

from django.db import migrations


def copy_to_portal(apps, schema_editor):
    Old = apps.get_model("spend", "HomeAreaAuthority")
    New = apps.get_model("portal", "HomeAreaDistrict")
    names = list(Old.objects.values_list("local_authority", flat=True))
    if names:
        New.objects.all().delete()
        New.objects.bulk_create([New(local_authority=name) for name in names])


class Migration(migrations.Migration):
    dependencies = [
        ("spend", "0011_batch_good_rows"),
        ("portal", "0003_home_area"),
    ]

    operations = [
        migrations.RunPython(copy_to_portal, migrations.RunPython.noop),
        migrations.DeleteModel(name="HomeAreaAuthority"),
    ]
