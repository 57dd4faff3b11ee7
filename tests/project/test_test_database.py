"""The tests' own PostgreSQL backend (tests/postgresql): a transactional test's flush puts the
database back as migrate left it, but leaves the rows post_migrate writes (here the postcode
districts) as they are unless the test changed them, instead of reloading them every time."""

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.management import call_command
from django.db import connection
from django.db.models import Model

from portal import locality
from portal.models import User
from portal.roles import Role
from spend.models import PostcodeDistrict
from tests.conftest import make_user

pytestmark = pytest.mark.django_db(transaction=True)

KEPT = PostcodeDistrict._meta.db_table


def _table() -> dict[str, tuple[str, str]]:
    return {p.district: (p.local_authority, p.region) for p in PostcodeDistrict.objects.all()}


def _lookup() -> dict[str, tuple[str, str]]:
    return {d: (a.local_authority, a.region) for d, a in locality.districts().items()}


def _row_versions() -> dict[str, str]:
    """Each district row's (ctid, xmin): a row deleted and written again gets new ones."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT district, ctid::text || '/' || xmin::text FROM {KEPT}")  # noqa: S608
        return dict(cursor.fetchall())


def _flush() -> None:
    # What TransactionTestCase does after each test (reset_sequences and available_apps unset).
    call_command("flush", interactive=False, verbosity=0, reset_sequences=False)


def _checksums() -> dict[str, str]:
    """Every table's content (ids included)."""
    tables = connection.introspection.django_table_names(only_existing=True)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT "  # noqa: S608
            + ", ".join(
                f"(SELECT md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), ''))"  # noqa: S608
                f' FROM "{table}" t)'
                for table in tables
            )
        )
        return dict(zip(tables, cursor.fetchone(), strict=True))


def test_the_flush_puts_every_table_back_as_migrate_left_it() -> None:
    migrated = _checksums()
    user = make_user(Role.ADMINISTRATOR)
    group = Group.objects.create(name="Reviewers")
    group.permissions.add(*Permission.objects.all()[:3])
    user.groups.add(group)  # rows that refer to rows, in tables emptied in any order
    Permission.objects.filter(codename="view_user").delete()
    PostcodeDistrict.objects.filter(district="PR1").update(local_authority="Leeds")
    written: list[type[Model]] = [User, Group, Permission, PostcodeDistrict]
    written += [Group.permissions.through, User.groups.through]
    written_tables = [model._meta.db_table for model in written]
    assert all(_checksums()[table] != migrated[table] for table in written_tables)

    _flush()

    assert _checksums() == migrated


def test_the_flush_leaves_the_districts_untouched() -> None:
    before = _row_versions()
    assert len(before) > 3000

    _flush()

    assert _row_versions() == before  # not one row deleted or rewritten
    assert _table() == _lookup()


def test_districts_a_test_changed_are_put_back_by_the_flush() -> None:
    PostcodeDistrict.objects.filter(district="PR1").update(local_authority="Leeds")
    PostcodeDistrict.objects.filter(district="LS1").delete()
    PostcodeDistrict.objects.create(district="ZZ9", local_authority="Nowhere", region="Nowhere")

    _flush()

    assert _table() == _lookup()
    assert _table()["PR1"] == ("Preston", "North West")
    put_back = _row_versions()
    _flush()
    assert _row_versions() == put_back  # put back as they were: the next flush leaves them


def test_rows_a_trigger_writes_while_the_flush_empties_tables_are_emptied_too() -> None:
    # Deleting ledger suppliers sets the payment-to-contract rules' version (contracts 0011's
    # triggers). Django hands the flush its tables in set order, which changes from run to
    # run: here the version's table comes first, so the suppliers' deletion writes it again.
    from django.core.management.color import no_style

    from contracts.models import RulesVersion
    from spend.models import Supplier

    Supplier.objects.create(supplier_number="S1", name="Acme Ltd")
    assert RulesVersion.objects.exists() is False
    tables = connection.introspection.django_table_names(only_existing=True, include_views=False)
    first = [RulesVersion._meta.db_table, Supplier._meta.db_table]
    tables = first + [table for table in tables if table not in first]

    connection.ops.execute_sql_flush(connection.ops.sql_flush(no_style(), tables))

    assert not Supplier.objects.exists()
    assert not RulesVersion.objects.exists()
