"""CSV exports that a spreadsheet cannot run (OWASP "CSV injection"): every CSV the project
writes goes through `writer()`, which neutralises each cell a spreadsheet would read as a
formula.

A text cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage return gets a single
quote in front (`'=HYPERLINK(...)` is shown as text, and the quote tells a reader it was added).
A plain number is data, not a formula: `-3`, `+2` and `-1,5` (a Dutch decimal comma) stay as
they are, so the KPI figures keep opening as numbers.
"""

from __future__ import annotations

import csv
import re
from decimal import Decimal

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
PLAIN_NUMBER = re.compile(r"[+-]?\d+(?:[.,]\d+)?")


def safe_cell(value) -> str:
    """The cell as text, with a quote in front when a spreadsheet would run it."""
    if value is None:
        return ""
    text = str(value)
    if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
        return text
    if text.startswith(FORMULA_START) and not PLAIN_NUMBER.fullmatch(text):
        return "'" + text
    return text


class SafeWriter:
    """A csv.writer whose rows are made safe cell by cell."""

    def __init__(self, stream, **fmtparams) -> None:
        self.rows = csv.writer(stream, **fmtparams)

    def writerow(self, row) -> None:
        self.rows.writerow([safe_cell(cell) for cell in row])


def writer(stream, **fmtparams) -> SafeWriter:
    return SafeWriter(stream, **fmtparams)
