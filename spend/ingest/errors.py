"""The one error an import raises: the file is refused, and the message says why."""

from __future__ import annotations


class ImportRejected(Exception):
    """A file that cannot go into the ledger.

    The caller rolls back everything it loaded from the file. ``str(error)``
    is a plain-English sentence for the administrator: which file, which line,
    which column, what is wrong and what to do about it.
    """

    def __init__(
        self,
        message: str,
        *,
        file_name: str = "",
        line_number: int | None = None,
        column: str | None = None,
        value: str | None = None,
    ) -> None:
        self.file_name = file_name
        self.line_number = line_number
        self.column = column
        self.value = value  # the cell's text, when one cell is at fault
        self.reason = message
        super().__init__(self._full_message())

    def _full_message(self) -> str:
        where = []
        if self.line_number is not None:
            where.append(f"line {self.line_number}")
        if self.column:
            where.append(f"column {self.column}")
        place = ", ".join(where)
        if place:
            place = place[0].upper() + place[1:]
        parts = [p for p in (self.file_name, place) if p]
        prefix = ": ".join(parts)
        return f"{prefix}: {self.reason}" if prefix else self.reason

    def with_file_name(self, file_name: str) -> ImportRejected:
        """The same error, naming the file (readers may not know its name)."""
        return type(self)(
            self.reason,
            file_name=file_name,
            line_number=self.line_number,
            column=self.column,
            value=self.value,
        )


class SheetRefused(ImportRejected):
    """A whole sheet cannot be read (not one bad row): never set aside as a refused row."""


class RowRefused(ImportRejected):
    """One row cannot go into the ledger (a bad or blank cell): the one kind of refusal that
    "import the good rows" sets aside, with its line, column and value."""
