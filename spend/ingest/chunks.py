"""Reading a large CSV extract in parallel: the file is cut into chunks at record boundaries
and child processes parse and stage the chunks while the import merges earlier ones.

The import's own transaction (``spend.ingest.load``) is still the only writer of the ledger,
and merges chunks in file order, so the result is the same as reading the file in one go.
Children write only to unlogged scratch tables (``spend_chunk_<token>_<n>``), which the
import drops after merging them; tables left by a killed import are dropped by the next one.

Where to cut. A CSV record may span lines (a quoted description with line breaks), so a cut
is made only at a line break preceded by an even number of quote marks. That is exact for
well-formed CSV; for a file with stray quotes it can be wrong, so each child checks its
chunk: the csv reader, started at the chunk's first byte, must finish its last record exactly
at the next chunk's first line. If it does not, the import reads the rest of the file itself
(``SplitMismatch``), from the first chunk whose end did not check out, and the outcome is
the same as if it had never been cut.

The child (``python -m spend.ingest.chunks``) reads a JSON job on stdin and writes one JSON
line per chunk on stdout. It needs no Django: the parser, the staging code and psycopg.
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from spend.ingest.errors import ImportRejected
from spend.ingest.layouts import LAYOUTS, ColumnMapping
from spend.ingest.parse import ImportHeader, _payments
from spend.ingest.readers import CSV_FIELD_LIMIT, OpenedFile, csv_unreadable, text_stream

if TYPE_CHECKING:
    import numpy as np

SCAN_BLOCK_BYTES = 8 * 1024 * 1024
CHILD_NICENESS = 5
# A child that says nothing for this long is taken for stuck.
CHILD_TIMEOUT_SECONDS = 30 * 60


@dataclass(frozen=True)
class ChunkPlan:
    """Bytes [start_byte, next chunk's start) of the file; physical lines from start_line to
    end_line - 1 (end_line is None for the last chunk, which runs to the end)."""

    index: int
    start_byte: int
    start_line: int
    end_line: int | None


def plan_chunks(path: str | os.PathLike[str], chunk_bytes: int) -> list[ChunkPlan]:
    """Cut points about ``chunk_bytes`` apart, each just after a line break outside quotes.

    The first chunk is a quarter of the others, so the import has rows to merge sooner.
    Lines are counted as Python's csv module sees them (``\\n``, ``\\r\\n`` or a lone
    ``\\r`` ends a line), so line numbers in messages match a reading of the whole file.
    """
    import numpy as np  # here, not at the top: chunk processes do not need it  # noqa: PLC0415  (loaded only where it is used: chunk processes start lean)

    cuts: list[tuple[int, int]] = [(0, 1)]  # (byte, line) where each chunk starts
    quotes = lines = 0  # quote marks and line ends before the block
    position = 0
    previous_cr = False
    next_cut = max(chunk_bytes // 4, 1)
    with open(path, "rb") as handle:
        while block := handle.read(SCAN_BLOCK_BYTES):
            codes = np.frombuffer(block, dtype=np.uint8)
            end = position + len(block)
            search = 0
            while next_cut < end:
                at = block.find(b"\n", max(next_cut - position, search))
                if at < 0:
                    break
                if (quotes + _count(codes[:at], QUOTE)) % 2 == 0:
                    cuts.append(
                        (position + at + 1, 1 + lines + _line_ends(codes[: at + 1], previous_cr))
                    )
                    next_cut = position + at + 1 + chunk_bytes
                else:
                    search = at + 1  # inside a quoted field: try the next line break
                    next_cut = position + search
            quotes += _count(codes, QUOTE)
            lines += _line_ends(codes, previous_cr)
            previous_cr = block.endswith(b"\r")
            position = end
    # A last sliver is merged into the chunk before it.
    if len(cuts) > 1 and position - cuts[-1][0] < chunk_bytes // 4:
        cuts.pop()
    return [
        ChunkPlan(i, byte, line, cuts[i + 1][1] if i + 1 < len(cuts) else None)
        for i, (byte, line) in enumerate(cuts)
    ]


QUOTE, LF, CR = ord('"'), ord("\n"), ord("\r")


def _count(codes: np.ndarray, byte: int) -> int:
    # numpy compares about ten times faster than bytes.count counts a single byte.
    import numpy as np  # noqa: PLC0415  (loaded only where it is used: chunk processes start lean)

    return int(np.count_nonzero(codes == byte))


def _line_ends(codes: np.ndarray, previous_cr: bool) -> int:
    """Line ends in a block: \\n, \\r\\n and lone \\r each count once."""
    count = _count(codes, LF)
    returns = (codes == CR).nonzero()[0]
    if len(returns):
        # A \\r at the block's very end is lone here; the next block's leading \\n says not.
        followed = returns[returns + 1 < len(codes)] + 1
        count += len(returns) - _count(codes[followed], LF)
    if previous_cr and len(codes) and codes[0] == LF:
        count -= 1  # a \\r\\n cut between two blocks
    return count


class SplitMismatch(Exception):
    """A chunk's last record ran past the next chunk's first line: the cut was not at a
    record boundary (stray quote marks), so the chunks after it cannot be used."""


def chunk_rows(
    handle: IO[bytes], encoding: str, delimiter: str, plan: ChunkPlan, header_line: int
) -> Iterator[tuple[int, list[str]]]:
    """The CSV records of one chunk with their physical lines (the rows after the header).

    Raises ``SplitMismatch`` after the last record if it did not end where the next chunk
    begins."""
    handle.seek(plan.start_byte)
    if plan.start_byte and encoding == "utf-8-sig":
        encoding = "utf-8"  # the byte-order mark is only at the start of the file
    stream = text_stream(handle, encoding)
    csv.field_size_limit(CSV_FIELD_LIMIT)
    reader = csv.reader(stream, delimiter=delimiter)
    first = plan.start_line - 1
    line = plan.start_line
    try:
        for row in reader:
            if line > header_line:
                yield line, row
            line = first + reader.line_num + 1
            if plan.end_line is not None and line >= plan.end_line:
                break
    except csv.Error as error:
        raise csv_unreadable(error, first + reader.line_num) from None
    finally:
        if not stream.closed:
            stream.detach()
    if plan.end_line is not None and line != plan.end_line:
        raise SplitMismatch(f"chunk {plan.index} ended on line {line}, not {plan.end_line}")


# --- The parent's side ------------------------------------------------------------------------


@dataclass
class ChunkJob:
    """What every child is told: how to read the file and where to stage it."""

    conninfo: str
    path: str
    file_name: str
    encoding: str
    delimiter: str
    layout: str
    columns: dict[str, int]
    headers: list[str]
    header_line: int
    category_rules: list[tuple[str, int]]
    table_token: str  # chunk n stages into spend_chunk_<token>_<n>
    # Redacted payees and sundry numbers, as the import's own reading has them.
    redaction_keys: list[str] = field(default_factory=list)
    sundry_numbers: list[str] = field(default_factory=list)


def chunk_prefix(token: str, index: int) -> str:
    return f"spend_chunk_{token}_{index}"


class ChunkWorkerFailed(RuntimeError):
    """A chunk process stopped without reporting its chunk; the message has its last words."""


class ChunkWorkers:
    """Child processes that stage the planned chunks; ``report(n)`` waits for chunk n's.

    Started before the file is planned, so Python starts up in them meanwhile; ``start``
    hands them their chunks. Chunk n goes to child n % workers, and each child does its
    chunks in order, so the parent reading reports in chunk order never waits on a child that
    is ahead of it."""

    def __init__(self, workers: int) -> None:
        self.workers: list[tuple[subprocess.Popen[bytes], IO[bytes]]] = []
        try:
            for _ in range(max(1, workers)):
                errors = tempfile.TemporaryFile()  # noqa: SIM115 (closed in close())
                child = subprocess.Popen(
                    [sys.executable, "-m", "spend.ingest.chunks"],
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    stderr=errors,
                    cwd=Path(__file__).resolve().parent.parent.parent,
                )
                self.workers.append((child, errors))
        except BaseException:
            self.close()
            raise

    def start(self, job: ChunkJob, plans: list[ChunkPlan]) -> None:
        count = len(self.workers)
        for number, (child, _) in enumerate(self.workers):
            assert child.stdin is not None
            mine = [asdict(plan) for plan in plans[number::count]]
            try:
                child.stdin.write(json.dumps({"job": asdict(job), "chunks": mine}).encode())
                child.stdin.close()
            except BrokenPipeError:
                pass  # it died starting up; report() says how it ended

    def report(self, index: int) -> dict[str, Any]:
        child, errors = self.workers[index % len(self.workers)]
        assert child.stdout is not None
        line = child.stdout.readline()
        if not line:
            child.wait(timeout=CHILD_TIMEOUT_SECONDS)
            errors.seek(0)
            tail = errors.read().decode("utf-8", "replace").strip().splitlines()[-3:]
            raise ChunkWorkerFailed(
                f"The process reading part {index + 1} of the file stopped "
                f"(exit {child.returncode}): " + " / ".join(tail)
            )
        report: dict[str, Any] = json.loads(line)
        if report.get("chunk") != index:
            raise ChunkWorkerFailed(f"Expected part {index + 1}, got {report!r}")
        return report

    def close(self) -> None:
        """Stop the children (those still reading, when the import stops early)."""
        for child, errors in self.workers:
            if child.poll() is None:
                child.kill()
            child.wait()
            if child.stdout is not None:
                child.stdout.close()
            errors.close()
        self.workers = []


# --- The child's side -------------------------------------------------------------------------


def _die_with_parent() -> None:
    """Linux: be killed when the import's process dies, rather than stage on for nothing.
    (Strictly, when the thread that started it ends: imports run on a worker's main thread.)"""
    try:
        import ctypes  # noqa: PLC0415  (loaded only where it is used: chunk processes start lean)
        import signal  # noqa: PLC0415  (loaded only where it is used: chunk processes start lean)

        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def stage_chunk(cursor: Any, job: ChunkJob, plan: ChunkPlan) -> dict[str, Any]:
    """Parse one chunk and stage it; the report the parent reads."""
    from spend.ingest.staging import Categoriser, create_tables, stage_payments  # noqa: PLC0415  (loaded only where it is used: chunk processes start lean)

    mapping = ColumnMapping(LAYOUTS[job.layout], job.columns, tuple(job.headers))
    header = ImportHeader(
        file_name=job.file_name,
        layout=job.layout,
        mapping=mapping,
        kind="csv",
        encoding=job.encoding,
        delimiter=job.delimiter,
        sheet="",
        header_line=job.header_line,
        redaction_keys=frozenset(job.redaction_keys),
        sundry_numbers=frozenset(job.sundry_numbers),
    )
    prefix = chunk_prefix(job.table_token, plan.index)
    opened = OpenedFile(job.path)
    rows = chunk_rows(opened.handle, job.encoding, job.delimiter, plan, job.header_line)
    try:
        with cursor.connection.transaction():  # created and filled together: rows frozen
            create_tables(cursor, prefix, temporary=False)
            staged = stage_payments(
                cursor,
                prefix,
                _payments(header, rows, opened, False),
                Categoriser(job.category_rules),
                freeze=True,
            )
    except ImportRejected as error:
        return {
            "chunk": plan.index,
            "rejected": {
                "reason": error.reason,
                "line_number": error.line_number,
                "column": error.column,
            },
        }
    except SplitMismatch:
        return {"chunk": plan.index, "mismatch": True}
    return {
        "chunk": plan.index,
        "prefix": prefix,
        "rows": staged.rows,
        "not_spend": staged.not_spend,
        "skipped": header.skipped_rows,
        "skipped_lines": header.skipped_lines,
        "financial_years": sorted(staged.financial_years),
        "min_key": staged.min_key,
        "max_key": staged.max_key,
    }


def main() -> None:
    import psycopg  # noqa: PLC0415  (loaded only where it is used: chunk processes start lean)

    _die_with_parent()
    # The import's own transaction is the one every chunk waits on: let it have the CPU first.
    os.nice(CHILD_NICENESS)
    order = json.loads(sys.stdin.buffer.read())
    job = ChunkJob(**order["job"])
    job.category_rules = [tuple(rule) for rule in job.category_rules]  # type: ignore[misc]
    with psycopg.connect(job.conninfo, autocommit=True) as connection:
        cursor = connection.cursor()
        for fields in order["chunks"]:
            report = stage_chunk(cursor, job, ChunkPlan(**fields))
            sys.stdout.write(json.dumps(report) + "\n")
            sys.stdout.flush()
            if "prefix" not in report:
                break  # a refused or mis-cut chunk: the parent stops reading here


if __name__ == "__main__":
    main()
