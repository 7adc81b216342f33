"""CSV exports that a spreadsheet cannot run (OWASP "CSV injection"): every CSV the project
writes goes through `writer()`, which neutralises each cell a spreadsheet would read as a
formula.

A text cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage return gets a single
quote in front (`'=HYPERLINK(...)` is shown as text, and the quote tells a reader it was added).
A plain number is data, not a formula: `-3`, `+2` and `-1,5` (a Dutch decimal comma) stay as
they are, so the KPI figures keep opening as numbers.

Every file has one dialect, for Dutch Excel: a UTF-8 byte-order mark (so accented names read
right), ";" between fields, CRLF line ends, and EVERY field in double quotes. Quoting all is
what keeps a cell whole whichever separator a spreadsheet splits on: `Jan;=cmd|...` unquoted in
a comma file would give a Dutch Excel the cell `=cmd|...`.
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


BOM = "\ufeff"


class SafeWriter:
    """A csv.writer in the project's dialect whose rows are made safe cell by cell."""

    def __init__(self, stream) -> None:
        self.rows = csv.writer(stream, delimiter=";", quoting=csv.QUOTE_ALL, lineterminator="\r\n")

    def writerow(self, row) -> None:
        self.rows.writerow([safe_cell(cell) for cell in row])


def writer(stream) -> SafeWriter:
    """A writer for a new file: writes the byte-order mark first."""
    stream.write(BOM)
    return SafeWriter(stream)
