"""Similar supplier names are found exactly as pg_trgm's ``%`` operator finds them, without
the extension.

The names are the real suppliers in the council spend files of ``tests/data/``, with
second spellings of some of them added, as a council's ledger has them."""

from __future__ import annotations

import csv
import random
from pathlib import Path

import openpyxl
import pytest
from django.db import connection

from portal.suppliers import name_key
from suppliers import similar

pytestmark = pytest.mark.django_db


def real_supplier_names(data_dir: Path) -> set[str]:
    realdata = data_dir
    names: set[str] = set()
    oxford = realdata / "spend_oxford_city_council" / "expenditure-over-500-oct-dec-2017.csv"
    with oxford.open(encoding="utf-8", errors="replace", newline="") as handle:
        names.update(row["Supplier Name"] for row in csv.DictReader(handle))
    hyndburn = (
        realdata / "spend_hyndburn_borough_council" / "hyndburn-spend-over-250-November-25.csv"
    )
    with hyndburn.open(encoding="cp1252", newline="") as handle:
        names.update(row["Name:  "] for row in csv.DictReader(handle))
    book = openpyxl.load_workbook(
        realdata / "spend_lancashire_fire_rescue" / "lfrs-spend-over-500-2025-26-q3.xlsx",
        read_only=True,
    )
    names.update(
        str(row[3]) for row in book.active.iter_rows(min_row=2, values_only=True) if row[3]
    )
    return {n.strip() for n in names if n and n.strip()}


def misspelt(name: str, rng: random.Random) -> str:
    """A second spelling: a letter dropped, doubled or swapped, or a word added."""
    if len(name) < 6:
        return name + " UK"
    at = rng.randrange(1, len(name) - 2)
    return rng.choice(
        [
            name[:at] + name[at + 1 :],
            name[:at] + name[at] + name[at:],
            name[:at] + name[at + 1] + name[at] + name[at + 2 :],
            name + " Services",
            "The " + name,
        ]
    )


@pytest.mark.parametrize(
    "budget", [0, 20_000, similar.PAIR_BUDGET], ids=["all-dense", "mixed", "all-pairwise"]
)
def test_similar_pairs_are_the_pairs_pg_trgm_finds(
    data_dir: Path, budget: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    names = sorted(real_supplier_names(data_dir))
    assert len(names) > 500
    rng = random.Random(4)
    names += [misspelt(n, rng) for n in rng.sample(names, 150)]
    keys = sorted({name_key(n) for n in names if len(name_key(n)) >= 3})
    with connection.cursor() as cursor:
        cursor.execute("CREATE TEMPORARY TABLE similar_names (id int, key text)")
        with cursor.copy("COPY similar_names (id, key) FROM STDIN") as copy:
            for number, key in enumerate(keys, start=1):
                copy.write_row((number, key))
        cursor.execute("SELECT id, key, show_trgm(key) FROM similar_names ORDER BY id")
        shown = cursor.fetchall()
        cursor.execute(
            "SELECT a.id, b.id, similarity(a.key, b.key) FROM similar_names a "
            "JOIN similar_names b ON b.id = a.id + 1"
        )
        neighbours = cursor.fetchall()
        expected: dict[float, set[tuple[int, int]]] = {}
        for threshold in (0.6, 0.45):
            cursor.execute(
                "SELECT set_config('pg_trgm.similarity_threshold', %s, false)", [str(threshold)]
            )
            cursor.execute(
                "SELECT a.id, b.id FROM similar_names a JOIN similar_names b "
                "ON a.id < b.id AND a.key % b.key"
            )
            expected[threshold] = set(cursor.fetchall())
        cursor.execute("DROP TABLE similar_names")
    # The trigrams and similarities are pg_trgm's, worked out without it.
    trigrams = {pk: similar.trigrams(key) for pk, key, _ in shown}
    for pk, key, pg_trigrams in shown:
        assert trigrams[pk] == set(pg_trigrams), key
    for a, b, pg_similarity in neighbours:
        assert similar.similarity(trigrams[a], trigrams[b]) == pytest.approx(
            pg_similarity, abs=1e-7
        )
    monkeypatch.setattr(similar, "PAIR_BUDGET", budget)
    for threshold, pairs in expected.items():
        assert len(pairs) > 50  # the names have near neighbours to find
        found = list(similar.similar_pairs(list(trigrams.items()), threshold))
        assert {(a, b) for a, b, _ in found} == pairs, threshold
        for a, b, alike in found:  # the similarity it gives is the pairwise one
            assert alike == similar.similarity(trigrams[a], trigrams[b])


def test_no_pairs_among_fewer_than_two_names() -> None:
    assert list(similar.similar_pairs([], 0.6)) == []
    assert list(similar.similar_pairs([(1, ["  a", " ab", "ab "])], 0.6)) == []
