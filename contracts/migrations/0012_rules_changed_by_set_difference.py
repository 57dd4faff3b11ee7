"""The rules' version triggers on UPDATE (0011) compare old and new rows as sets.

0011 joined the statement's transition tables on `id`. Transition tables have no
statistics, so PostgreSQL planned a nested loop: an UPDATE of 7,000 suppliers' names (the
import's "supplier names" step) took 7.3 s in the trigger against 0.4 s without it. A set
difference (`new EXCEPT old` on id and the columns the rules read) hashes both sides once: a
row is in the difference exactly when one of those columns changed, as before. A migration
is history, so the tables and columns are written out here rather than taken from 0011.
"""

from django.db import migrations

BUMP = """
        INSERT INTO contracts_rulesversion (id, version)
        VALUES (1, nextval('contracts_rules_version_seq'))
        ON CONFLICT (id) DO UPDATE SET version = EXCLUDED.version;"""

COLUMNS = {
    "contracts_contract": [
        "reference",
        "status",
        "start_date",
        "end_date",
        "ended_on",
        "awarded_value",
    ],
    "contracts_awardedsupplier": ["contract_id", "supplier_number", "company_number"],
    "contracts_contractpaymentlink": ["contract_id", "payment_id"],
    "spend_supplier": ["supplier_number", "company_number"],
}


def _function(table: str, condition: str) -> str:
    return f"""
CREATE OR REPLACE FUNCTION {table}_rules_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF {condition} THEN{BUMP}
    END IF;
    RETURN NULL;
END
$$;"""


def _set_difference(columns: list[str]) -> str:
    cols = ", ".join(["id", *columns])
    return f"EXISTS (SELECT {cols} FROM new_rows EXCEPT SELECT {cols} FROM old_rows)"


def _join(columns: list[str]) -> str:
    old = ", ".join(f"o.{c}" for c in columns)
    new = ", ".join(f"n.{c}" for c in columns)
    return (
        "EXISTS (SELECT 1 FROM new_rows n JOIN old_rows o ON o.id = n.id "
        f"WHERE ({old}) IS DISTINCT FROM ({new}))"
    )


class Migration(migrations.Migration):
    dependencies = [("contracts", "0011_rules_version")]

    operations = [
        migrations.RunSQL(
            "\n".join(_function(t, _set_difference(c)) for t, c in COLUMNS.items()),
            "\n".join(_function(t, _join(c)) for t, c in COLUMNS.items()),
        )
    ]
