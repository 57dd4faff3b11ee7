"""Pairs of supplier names whose trigram similarity reaches a threshold, for every pair at once.

The similarity is pg_trgm's, computed here without the extension (the embedded PostgreSQL of
a laptop set-up lacks it): each word of the name, lower-cased and padded with two spaces
before and one after, gives its three-character runs (``trigrams``); the similarity of two
names is the trigrams they share over all their trigrams, in single precision as pg_trgm
computes it. ``tests/spend/test_similar_names.py`` checks both against pg_trgm itself.

Why not SQL: probing a trigram index once per supplier, or joining the rarest trigrams of
each name (prefix filtering), both slow to minutes once trigrams are shared by thousands of
names ("LTD", "SERVICES", a common surname). Here the overlaps of all pairs are counted as
matrix products instead, in two parts that add up exactly:

- trigrams that few names share are counted pair by pair (a few million pairs at most);
- trigrams that many names share are columns of a dense 0/1 matrix ``X``; the block
  ``X[rows] @ X[columns].T`` counts them for a block of pairs at BLAS speed.

20,000 names take a few seconds; memory is the dense matrix (names x common trigrams, float32),
``PAIR_BUDGET`` pairs and a block of ``BLOCK_CELLS``.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence

import numpy as np

_WORD = re.compile(r"[^\W_]+")  # letters and digits, as pg_trgm splits words

# Pairs counted one by one before the remaining (commonest) trigrams go to the dense matrix.
# Measured on 20,000 generated names (bench/suppliers.py): 4M and 2M cells take 2.6 s and
# about 170 MB; 12M and 20M took 4.7 s and 600 MB (bigger arrays, more cache misses).
PAIR_BUDGET = 4_000_000
# Cells in one block of the pair matrix (float32, 8 MB; a few such arrays are alive at once).
BLOCK_CELLS = 2_000_000


def trigrams(text: str) -> frozenset[str]:
    """The name's trigrams as pg_trgm's ``show_trgm`` lists them."""
    found: set[str] = set()
    for word in _WORD.findall(text.lower()):
        padded = f"  {word} "
        found.update(padded[i : i + 3] for i in range(len(padded) - 2))
    return frozenset(found)


def similarity(first: frozenset[str], second: frozenset[str]) -> float:
    """pg_trgm's ``similarity`` of two trigram sets (single precision, as it rounds)."""
    shared = len(first & second)
    union = len(first) + len(second) - shared
    return float(np.float32(shared) / np.float32(union)) if union else 0.0


def similar_pairs(
    names: Sequence[tuple[int, Iterable[str]]], threshold: float
) -> Iterator[tuple[int, int, float]]:
    """(low id, high id, similarity) for every two names whose trigram similarity is at least
    threshold; the similarity is the one ``similarity()`` gives.

    ``names`` holds (id, trigrams) with each name's distinct trigrams (``trigrams()``)."""
    ids = np.array([pk for pk, _ in names], dtype=np.int64)
    postings: dict[str, list[int]] = defaultdict(list)
    sizes = np.zeros(len(ids), dtype=np.float32)
    for row, (_, grams) in enumerate(names):
        distinct = set(grams)
        sizes[row] = len(distinct)
        for trigram in distinct:
            postings[trigram].append(row)
    count = len(ids)
    if count < 2:
        return
    # Rarest trigrams first, counted pair by pair while the budget lasts; the rest are dense.
    lists = sorted(postings.values(), key=len)
    rare_codes: list[np.ndarray] = []
    spent = 0
    dense_lists: list[list[int]] = []
    for rows in lists:
        n = len(rows)
        pairs = n * (n - 1) // 2
        if dense_lists or spent + pairs > PAIR_BUDGET:
            dense_lists.append(rows)
            continue
        spent += pairs
        if n > 1:
            members = np.array(rows, dtype=np.int64)  # rows are in ascending order
            first, second = np.triu_indices(n, 1)
            rare_codes.append(members[first] * count + members[second])
    if rare_codes:
        codes, shared = np.unique(np.concatenate(rare_codes), return_counts=True)
    else:
        codes, shared = np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    del rare_codes
    dense = np.zeros((count, len(dense_lists)), dtype=np.float32)
    for column, rows in enumerate(dense_lists):
        dense[rows, column] = 1.0
    limit = np.float64(threshold)
    block = max(64, BLOCK_CELLS // count)
    for start in range(0, count, block):
        stop = min(count, start + block)
        # Overlaps of rows start..stop with every later row (the upper triangle only).
        overlap = (
            dense[start:stop] @ dense[start:].T
            if dense_lists
            else np.zeros((stop - start, count - start), dtype=np.float32)
        )
        low, high = np.searchsorted(codes, [start * count, stop * count])
        if high > low:
            block_codes = codes[low:high]
            first_rows, later_rows = np.divmod(block_codes, count)
            overlap[first_rows - start, later_rows - start] += shared[low:high].astype(np.float32)
        union = sizes[start:stop, None] + sizes[None, start:] - overlap
        with np.errstate(divide="ignore", invalid="ignore"):
            alike = np.where(union > 0, overlap / union, np.float32(0))
        found = alike.astype(np.float64) >= limit
        # Only pairs (i, j) with j > i: drop the diagonal and what lies below it.
        found &= np.arange(start, count)[None, :] > np.arange(start, stop)[:, None]
        for row, column in zip(*np.nonzero(found), strict=True):
            a, b = int(ids[start + row]), int(ids[start + column])
            yield min(a, b), max(a, b), float(alike[row, column])
