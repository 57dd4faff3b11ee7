"""Money: integer pence in the ledger, ``Decimal`` pounds in the register, never a float.

The one place pence and pounds are converted (portal.formatting prints them):

- ``pence_from_decimal(Decimal("12.345")) -> 1235``: half a penny rounded away from zero.
- ``pounds_decimal(1235) -> Decimal("12.35")``: two places, as a number (spreadsheet cells).
- ``pounds_sql(F("amount_pence"))``: the same in SQL, for a CSV that PostgreSQL writes.
- ``whole_pounds(150) -> 2``: to the pound, half up (away from zero at the half).
- ``two_places(value) -> Decimal``: a value read from a file, to the penny (OCDS amounts).
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from django.db.models import Expression, F
    from django.db.models.functions import Round

PENNY = Decimal("0.01")


def pence_from_decimal(amount: Decimal) -> int:
    """Pounds as Decimal -> integer pence, half a penny rounded away from zero."""
    if not amount.is_finite():
        raise ValueError(f"{amount} is not an amount")
    return int((amount * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def pounds_decimal(pence: int) -> Decimal:
    """Pounds with two decimals, as a number (for spreadsheet cells)."""
    return (Decimal(pence) / 100).quantize(PENNY)


def pounds_sql(pence: Expression | F) -> Round:
    """``pounds_decimal`` in SQL: integer pence to numeric pounds with two places (exact:
    numeric division, then rounding that only drops zeros)."""
    # Two places before dividing: PostgreSQL keeps at least the dividend's scale, whereas
    # numeric(20, 0) divided by 100 is rounded to 16 significant digits for a large amount.
    # The ORM is imported here, not at the top: the import's chunk processes read pence with
    # this module and never build a query (they start about a fifth of a second sooner).
    from django.db.models import DecimalField, Value  # noqa: PLC0415
    from django.db.models.functions import Cast, Round  # noqa: PLC0415

    any_bigint: DecimalField[Any, Decimal] = DecimalField(max_digits=22, decimal_places=2)
    return Round(Cast(pence, any_bigint) / Value(100), 2, output_field=DecimalField())


def whole_pounds(pence: int) -> int:
    """Integer pence to whole pounds, rounded half up (away from zero at the half)."""
    return int((Decimal(pence) / 100).quantize(Decimal(1), ROUND_HALF_UP))


def two_places(value: Any) -> Decimal:
    """A number as it came (text, int or Decimal) to the penny."""
    return Decimal(str(value)).quantize(PENNY)
