"""The register's supplier name key becomes the ledger's, portal.suppliers.name_key (issue 21):
every stored key recomputed. Where two suppliers of one contract would share the new key, both
keep their keys as they were (and are named in the output), so no row is merged or lost; an
officer decides whether they are one supplier."""

import sys
from collections import defaultdict

from django.db import migrations

from portal.suppliers import name_key

KEY_LENGTH = 300


def _old_key(name):
    return " ".join(name.upper().split())


def _new_key(name):
    return name_key(name)[:KEY_LENGTH]


def rekey(apps, key_of):
    AwardedSupplier = apps.get_model("contracts", "AwardedSupplier")
    groups = defaultdict(list)
    for pk, contract_id, name, key in AwardedSupplier.objects.values_list(
        "pk", "contract_id", "name", "name_key"
    ):
        groups[(contract_id, key_of(name))].append((pk, name, key))
    changes = {}
    for (contract_id, new), rows in groups.items():
        if len(rows) > 1:
            names = ", ".join(name for _, name, _ in rows)
            sys.stdout.write(f"\n  Contract {contract_id}: kept apart, one key for {names}")
            continue
        pk, _, old = rows[0]
        if old != new:
            changes[pk] = new
    # Through a key no name can have first, so no row briefly holds another's key.
    for pk in changes:
        AwardedSupplier.objects.filter(pk=pk).update(name_key=f"\x01{pk}")
    for pk, new in changes.items():
        AwardedSupplier.objects.filter(pk=pk).update(name_key=new)
    return changes


def forwards(apps, schema_editor):
    rekey(apps, _new_key)


def backwards(apps, schema_editor):
    rekey(apps, _old_key)


class Migration(migrations.Migration):
    dependencies = [("contracts", "0009_pipeline")]
    operations = [migrations.RunPython(forwards, backwards)]
