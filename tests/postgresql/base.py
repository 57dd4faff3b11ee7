"""PostgreSQL for the tests (settings/test.py): a quicker flush, back to the migrated state.

Every transactional test (live_server, a real Celery worker) ends with a flush: Django
TRUNCATEs every table, then post_migrate fills some again (content types, permissions, the
social value catalogue, the frameworks, 3,115 postcode districts). On a busy 2-CPU machine the
TRUNCATE of our ~70 tables took 2.3-2.8 s a test (each table and index gets new files) and the
refill about 2 s more. Here:

- tables are emptied with DELETE (0.03-0.09 s for tables a test leaves nearly empty). Django's
  foreign keys are DEFERRABLE INITIALLY DEFERRED, so the order does not matter inside the
  flush's one transaction; sequences are not reset, as with TRUNCATE without RESTART IDENTITY;
- the tables migrate left filled (``take_baseline``: copied once per session, before any test)
  are compared with their copy by checksum and, only if a test changed them, put back from it,
  ids and all. post_migrate, which the flush still runs, then finds everything in place;
- the tables meant to be empty are emptied a second time, last: a trigger fired by one DELETE
  may have written one of them (the rules' version, contracts 0011).

So every test starts from the database as migrate left it, rows of data migrations included
(Django's flush loses those). Without a baseline every table is emptied, as by Django.
"""

from typing import Any

from django.db.backends.postgresql import base, operations

SCHEMA = "flush_baseline"

# Database name → the tables a flush leaves filled, with their checksums then.
_baselines: dict[str, dict[str, str]] = {}


def _checksums(connection: Any, tables: list[str]) -> dict[str, str]:
    if not tables:
        return {}
    quote = connection.ops.quote_name
    columns = ", ".join(
        f"(SELECT md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), ''))"  # noqa: S608
        f" FROM {quote(table)} t)"  # (table names from Django's introspection)
        for table in tables
    )
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {columns}")
        return dict(zip(tables, cursor.fetchone(), strict=True))


def take_baseline(connection: Any) -> None:
    """Copy the tables migrate left filled (by post_migrate or a data migration)."""
    tables = connection.introspection.django_table_names(only_existing=True, include_views=False)
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        filled = []
        for table in tables:
            cursor.execute(f"SELECT EXISTS (SELECT 1 FROM {quote(table)})")  # noqa: S608
            if cursor.fetchone()[0]:
                filled.append(table)
        cursor.execute(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE")
        cursor.execute(f"CREATE SCHEMA {SCHEMA}")
        for table in filled:
            cursor.execute(f"CREATE TABLE {SCHEMA}.{quote(table)} AS TABLE {quote(table)}")
    _baselines[connection.settings_dict["NAME"]] = _checksums(connection, filled)


class DatabaseOperations(operations.DatabaseOperations):
    def sql_flush(
        self,
        style: Any,
        tables: Any,
        *,
        reset_sequences: bool = False,
        allow_cascade: bool = False,
    ) -> list[str]:
        baseline = _baselines.get(self.connection.settings_dict["NAME"], {})
        if reset_sequences or allow_cascade:
            # Rare (a test asking for reset sequences or available_apps): Django's own way.
            return super().sql_flush(
                style, tables, reset_sequences=reset_sequences, allow_cascade=allow_cascade
            )
        kept = [table for table in tables if table in baseline]
        now = _checksums(self.connection, kept)
        changed = [table for table in kept if now[table] != baseline[table]]
        sql = [
            f"{style.SQL_KEYWORD('DELETE FROM')} {style.SQL_FIELD(self.quote_name(table))};"
            for table in tables
            if table not in baseline or table in changed
        ]
        sql += [
            f"INSERT INTO {self.quote_name(table)} TABLE {SCHEMA}.{self.quote_name(table)};"
            for table in changed
        ]
        # A trigger fired by one DELETE may write a table emptied before it (contracts 0011:
        # deleting suppliers sets the rules' version), and the order of `tables` is a set's.
        # A second pass over the tables meant to be empty: each is empty by then, so it costs
        # little and fires nothing that writes (the triggers act only on rows deleted).
        sql += [
            f"{style.SQL_KEYWORD('DELETE FROM')} {style.SQL_FIELD(self.quote_name(table))};"
            for table in tables
            if table not in baseline
        ]
        return sql


class DatabaseWrapper(base.DatabaseWrapper):
    ops_class = DatabaseOperations
