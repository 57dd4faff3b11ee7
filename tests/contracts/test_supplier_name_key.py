"""One supplier-name key for the register and the ledger (issue 21): the register used to key
suppliers on the name upper-cased with spaces collapsed, the ledger on portal.suppliers.name_key
(also "&" = "and", "Limited" = "Ltd", punctuation and a leading "The" ignored)."""

import importlib
from pathlib import Path

import pytest
from django.apps import apps as django_apps
from django.core.exceptions import ValidationError

from contracts import services
from contracts.models import AwardedSupplier
from spend.models import Supplier
from tests.factories import AwardedSupplierFactory, ContractFactory, contract_fields
from tests.suppliers.test_quality import load, row

pytestmark = pytest.mark.django_db

# The ledger's spelling (as the Oracle extract has it) beside the register's (as an officer
# typed it); under the old register key only the fourth matched.
LEDGER = {
    "100": "SUEZ RECYCLING AND RECOVERY UK LTD",
    "200": "KIER CONSTRUCTION LTD.",
    "300": "THE PRESTON CARE COMPANY LTD",
    "400": "A.B. SMITH (BUILDERS) LTD",
    "500": "BLACKPOOL COACH SERVICES LTD",
}
REGISTER = {
    "Suez Recycling & Recovery UK Limited": "100",
    "Kier Construction Limited": "200",
    "Preston Care Company Limited": "300",
    "AB Smith Builders Ltd": "400",
    "Blackpool Coaches Ltd": None,  # another company: still no match
}


def _ledger(tmp_path: Path) -> None:
    load(
        tmp_path,
        "ledger.csv",
        [row(i, "100.00", number, name) for i, (number, name) in enumerate(LEDGER.items(), 1)],
    )


def test_register_suppliers_match_the_ledger_suppliers_spelt_differently(tmp_path: Path) -> None:
    _ledger(tmp_path)
    contract = services.contract_create(
        reference="KEY-1",
        contract=contract_fields(),
        supplier={"name": "Suez Recycling & Recovery UK Limited"},
        user=None,
    )
    for name in list(REGISTER)[1:]:
        services.supplier_add(contract=contract, supplier={"name": name}, user=None)

    ledger_by_key = dict(Supplier.objects.values_list("name_key", "supplier_number"))
    matched = {
        s.name: ledger_by_key.get(s.name_key)
        for s in AwardedSupplier.objects.filter(contract=contract)
    }
    assert matched == REGISTER
    # Under the register's old key (upper case, spaces collapsed) only the spelling without
    # punctuation matched.
    old = {name: ledger_by_key.get(" ".join(name.upper().split())) for name in REGISTER}
    assert {name: number for name, number in old.items() if number} == {
        "AB Smith Builders Ltd": "400"
    }


def test_ltd_and_limited_on_one_contract_are_one_supplier() -> None:
    contract = services.contract_create(
        reference="KEY-2",
        contract=contract_fields(),
        supplier={"name": "Kier Construction Limited"},
        user=None,
    )
    with pytest.raises(ValidationError, match="already on the contract"):
        services.supplier_add(
            contract=contract, supplier={"name": "KIER CONSTRUCTION LTD."}, user=None
        )


def test_the_migration_recomputes_stored_keys_and_keeps_clashing_suppliers_apart() -> None:
    migration = importlib.import_module(
        "contracts.migrations.0010_supplier_name_key_is_the_ledgers"
    )
    one = ContractFactory.create()
    # Keys as the old rule stored them.
    suez = AwardedSupplierFactory.create(
        contract=one, name="Suez Recycling & Recovery UK Limited",
        name_key="SUEZ RECYCLING & RECOVERY UK LIMITED",
    )  # fmt: skip
    two = ContractFactory.create()
    first = AwardedSupplierFactory.create(contract=two, name="Kier Ltd", name_key="KIER LTD")
    second = AwardedSupplierFactory.create(
        contract=two, name="Kier Limited", name_key="KIER LIMITED"
    )

    changed = migration.rekey(django_apps, migration._new_key)

    assert changed == {suez.pk: "SUEZ RECYCLING AND RECOVERY UK LTD"}
    keys = dict(AwardedSupplier.objects.values_list("pk", "name_key"))
    assert keys[suez.pk] == "SUEZ RECYCLING AND RECOVERY UK LTD"
    # One key for both would merge two rows of one contract: both stay as they were.
    assert (keys[first.pk], keys[second.pk]) == ("KIER LTD", "KIER LIMITED")
    assert AwardedSupplier.objects.count() == 3
