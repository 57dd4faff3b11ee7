"""The payment-to-contract rules' version (issue 15): set by triggers on every write to what
the rules read besides the payments, so a page keys its cached figures on one row instead of
checksumming the register on every request.

- Statement triggers: a register import of 5,000 rows sets the row a few times, not 5,000.
  Each statement that changes something sets it again, so a figure cached in the middle of a
  transaction (under the version its first write set) is never read after a later write.
- An update counts only when it changes a column the rules read: a change to a contract's
  title or a supplier's name leaves the cached figures (and the off-contract page's) in place.
- The value comes from a sequence, so it never repeats, even after the table is emptied (a
  test database's flush). It is set in the writer's transaction: readers see it with the
  writes, never before them.
- The ledger's suppliers: updates of a supplier or company number (Companies House, an
  officer's correction) and deletions (a merge). Not inserts: the import's chunk processes
  add suppliers in parallel and a row lock here would queue them; a new supplier comes with
  new payments, which change the summary's version, the other half of the cache key.
"""

from django.db import migrations, models

SEQUENCE = "contracts_rules_version_seq"
BUMP = f"""
INSERT INTO contracts_rulesversion (id, version) VALUES (1, nextval('{SEQUENCE}'))
ON CONFLICT (id) DO UPDATE SET version = EXCLUDED.version;
"""

# table: (the columns the rules read, whether inserts count)
TABLES = {
    "contracts_contract": (
        ["reference", "status", "start_date", "end_date", "ended_on", "awarded_value"],
        True,
    ),
    "contracts_awardedsupplier": (["contract_id", "supplier_number", "company_number"], True),
    "contracts_contractpaymentlink": (["contract_id", "payment_id"], True),
    "spend_supplier": (["supplier_number", "company_number"], False),
}


def _function(name: str, condition: str) -> str:
    return f"""
CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF {condition} THEN
        {BUMP}
    END IF;
    RETURN NULL;
END
$$;"""


def _trigger(table: str, event: str, function: str, referencing: str = "") -> str:
    return (
        f"CREATE TRIGGER rules_version_{event.lower()} AFTER {event} ON {table} {referencing} "
        f"FOR EACH STATEMENT EXECUTE FUNCTION {function}();"
    )


def _forwards() -> str:
    sql = [f"CREATE SEQUENCE {SEQUENCE};", _function("contracts_rules_bump", "true")]
    sql.append(_function("contracts_rules_bump_rows", "EXISTS (SELECT 1 FROM changed_rows)"))
    for table, (columns, inserts) in TABLES.items():
        old = ", ".join(f"o.{c}" for c in columns)
        new = ", ".join(f"n.{c}" for c in columns)
        changed = f"{table}_rules_changed"
        sql.append(
            _function(
                changed,
                f"EXISTS (SELECT 1 FROM new_rows n JOIN old_rows o ON o.id = n.id "
                f"WHERE ({old}) IS DISTINCT FROM ({new}))",
            )
        )
        sql.append(_trigger(table, "UPDATE", changed, "REFERENCING OLD TABLE AS old_rows "
                            "NEW TABLE AS new_rows"))
        sql.append(
            _trigger(table, "DELETE", "contracts_rules_bump_rows", "REFERENCING OLD TABLE AS "
                     "changed_rows")
        )
        if inserts:
            sql.append(
                _trigger(table, "INSERT", "contracts_rules_bump_rows", "REFERENCING NEW TABLE "
                         "AS changed_rows")
            )
            sql.append(_trigger(table, "TRUNCATE", "contracts_rules_bump"))
    return "\n".join(sql)


def _backwards() -> str:
    sql = []
    for table, (_, inserts) in TABLES.items():
        for event in ["update", "delete", *(["insert", "truncate"] if inserts else [])]:
            sql.append(f"DROP TRIGGER IF EXISTS rules_version_{event} ON {table};")
        sql.append(f"DROP FUNCTION IF EXISTS {table}_rules_changed();")
    sql += [
        "DROP FUNCTION IF EXISTS contracts_rules_bump_rows();",
        "DROP FUNCTION IF EXISTS contracts_rules_bump();",
        f"DROP SEQUENCE IF EXISTS {SEQUENCE};",
    ]
    return "\n".join(sql)


class Migration(migrations.Migration):
    dependencies = [
        ("contracts", "0010_supplier_name_key_is_the_ledgers"),
        ("spend", "0013_payment_invoice_and_payment_number_indexes"),
    ]

    operations = [
        migrations.CreateModel(
            name="RulesVersion",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("version", models.BigIntegerField(default=0)),
            ],
        ),
        migrations.RunSQL(_forwards(), _backwards()),
    ]
