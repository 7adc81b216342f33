"""Reading an uploaded CSV file as Dutch practice systems and spreadsheets write it: the one
implementation behind both imports (the casefinding list, `clients.casefinding_import`, and a
team's caseload, `steps.caseload_import`).

What is read: UTF-8 (with or without Excel's byte-order mark) or Windows-1252, never the two
mixed; `;` or `,` between cells (the first line decides); a first line of column names matched
whatever their capitals, spacing, underscores and accents (`header_key`). What refuses the file
as a whole (`Refused` on the field "file", in Dutch): NUL bytes (a workbook, UTF-16), a mix of
encodings, unreadable quoting, a cell over `MAX_CELL` characters, too many rows, and a BSN: a
column named like one or whose values pass the 11-proof. What a row's check asks here: a date
(`parse_date`), ja/nee (`yes_no`), whether a cell starts like a formula (`formula_start`).
"""

from __future__ import annotations

import csv
import datetime
import io
import re
import unicodedata
from collections.abc import Callable

from django.utils.translation import gettext as _

from kernteam.refusals import Refused

BSN_HEADERS = {"bsn", "burgerservicenummer", "sofinummer", "bsnnummer"}
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
YES = {"ja", "j", "1", "x", "yes", "y", "waar", "true"}
NO = {"nee", "n", "0", "no", "onwaar", "false"}
CSV_TYPES = {"text/csv", "application/csv", "text/plain", "application/vnd.ms-excel"}
MAX_CELL = 1000  # characters in one cell: no list needs more
SIGNED_NUMBER = re.compile(r"[-+]\d+(?:[.,]\d+)?")


def header_key(text: str) -> str:
    """A column name as matched: lower case, without accents, spaces or punctuation."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]", "", plain.lower())


def thousands(n: int) -> str:
    """5000 as Dutch readers write it: 5.000."""
    return f"{n:,}".replace(",", ".")


# --- the upload ---------------------------------------------------------------------------------


def read_upload(upload, *, max_bytes: int, missing: str, too_large: str) -> tuple[str, bytes]:
    """The name and bytes of an uploaded file, if it can be a CSV file under `max_bytes`.
    Refused (on "file") otherwise, before it is read: `missing` when there is no file,
    `too_large` at `max_bytes` or more (the caller's words, with the limits in them)."""
    if upload is None:
        raise Refused(missing, field="file")
    name = (getattr(upload, "name", "") or "")[:200]
    if upload.size >= max_bytes:
        raise Refused(too_large, field="file")
    content_type = (getattr(upload, "content_type", "") or "").split(";")[0].strip().lower()
    if not name.lower().endswith(".csv") and content_type not in CSV_TYPES:
        raise Refused(
            _(
                "This is not a CSV file. Save the list from the practice system or the "
                "spreadsheet as CSV (comma- or semicolon-separated) and upload that."
            ),
            field="file",
        )
    return name, upload.read()


# --- the characters -----------------------------------------------------------------------------


def decode(data: bytes) -> str:
    """The file's text: UTF-8 (with or without a byte-order mark), else Windows-1252."""
    if b"\x00" in data:
        raise Refused(
            _(
                "The file is not plain text (it holds NUL bytes: perhaps an Excel workbook or "
                "UTF-16 text). Save it as CSV (UTF-8) and upload that."
            ),
            field="file",
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    if data.startswith(b"\xef\xbb\xbf") or _UTF8_SEQUENCE.search(data):
        # UTF-8 in part: read whole as Windows-1252, its names would come out garbled
        raise Refused(
            _(
                "The file mixes character sets: line %(line)d is not UTF-8, while the file "
                "holds UTF-8 elsewhere. Save the whole list as CSV (UTF-8) and upload it again."
            )
            % {"line": _first_line_not_utf8(data)},
            field="file",
        )
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError as exc:
        raise Refused(
            _(
                "The file's characters cannot be read: it is neither UTF-8 nor Windows-1252. "
                "Save it as CSV (UTF-8) and upload that."
            ),
            field="file",
        ) from exc


# A UTF-8 multi-byte sequence (RFC 3629), or a UTF-8 encoded surrogate: in a file that is not
# UTF-8 as a whole, either says it is UTF-8 in part (Windows-1252 text hardly ever holds one).
_UTF8_SEQUENCE = re.compile(
    rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|\xf0[\x90-\xbf][\x80-\xbf]{2}"
    rb"|[\xf1-\xf3][\x80-\xbf]{3}|\xf4[\x80-\x8f][\x80-\xbf]{2}"
)


def _first_line_not_utf8(data: bytes) -> int:
    for number, line in enumerate(data.split(b"\n"), start=1):
        try:
            line.decode("utf-8")
        except UnicodeDecodeError:
            return number
    return 1


# --- the records --------------------------------------------------------------------------------


def read_records(
    text: str, *, max_rows: int, too_many: str, on_header: Callable[[list[str]], object]
) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """The header and the non-empty records, each with the line it starts on (the header is
    line 1). `;` or `,` between cells, whichever the first line has more of. `on_header` checks
    the column names as soon as they are read (its refusal comes before any of the rows').
    Refused (on "file"): the file empty, unreadable quoting, a cell over `MAX_CELL` characters,
    more than `max_rows` records (`too_many`: the caller's words)."""
    if not text.strip():
        raise Refused(_("The file is empty."), field="file")
    first_line = text.lstrip("\ufeff").split("\n", 1)[0]
    delimiter = ";" if first_line.count(";") >= first_line.count(",") else ","
    reader = _Reader(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    records: list[tuple[int, list[str]]] = []
    try:
        header = next(reader)
        on_header(header)
        line = reader.line_num + 1
        for cells in reader:
            if any(c.strip() for c in cells):
                records.append((line, cells))
                if len(records) > max_rows:
                    raise Refused(too_many, field="file")
            line = reader.line_num + 1
    except csv.Error as exc:
        if "field larger than field limit" in str(exc):  # (a quote left open, often)
            raise Refused(
                _(
                    "A cell is longer than %(limit)s characters (line %(line)d): check its "
                    "quotes, or whether the list holds more than its columns."
                )
                % {"limit": thousands(MAX_CELL), "line": reader.started},
                field="file",
            ) from exc
        raise Refused(
            _("The file cannot be read as CSV (line %(line)d): check its quotes.")
            % {"line": reader.line_num},
            field="file",
        ) from exc
    return header, records


class _Reader:
    """A csv reader that refuses a cell over `MAX_CELL` characters as csv's own field limit
    does (csv.field_size_limit is process-wide: not changed here)."""

    def __init__(self, reader):
        self.reader = reader
        self.started = 1

    @property
    def line_num(self) -> int:
        return self.reader.line_num

    def __iter__(self):
        return self

    def __next__(self) -> list[str]:
        self.started = self.reader.line_num + 1  # (a record with a quote left open: many lines)
        cells = next(self.reader)
        if any(len(c) > MAX_CELL for c in cells):
            raise csv.Error("field larger than field limit")
        return cells


def refuse_bsn_header(title: str) -> None:
    """A column named like a BSN refuses the file."""
    if header_key(title) in BSN_HEADERS:
        raise Refused(
            _(
                "The file has a column “%(column)s”: Kernteam never stores a BSN. Remove "
                "the column and upload the file again; the practice's own patient number "
                "is what the list needs."
            )
            % {"column": title.strip()},
            field="file",
        )


def refuse_duplicate_column(title: str) -> Refused:
    return Refused(
        _(
            "Two columns are called “%(column)s”: which one holds it? Remove one and "
            "upload the file again."
        )
        % {"column": title.strip()},
        field="file",
    )


def is_bsn(value: str) -> bool:
    """Nine digits (eight: a leading zero lost in a spreadsheet) that pass the 11-proof."""
    if not (value.isascii() and value.isdigit() and len(value) in (8, 9)):
        return False
    digits = [int(d) for d in value.zfill(9)]
    total = sum(d * w for d, w in zip(digits[:8], range(9, 1, -1), strict=True)) - digits[8]
    return total % 11 == 0 and int(value) != 0


def refuse_bsn_columns(header: list[str], records: list[tuple[int, list[str]]]) -> None:
    """A column whose values look like BSNs (nine digits passing the 11-proof, for most of
    them) refuses the whole file: a practice number that happens to pass is one in eleven."""
    for index, title in enumerate(header):
        values = [c[index].strip() for _, c in records if index < len(c) and c[index].strip()]
        if not values or not all(v.isascii() and v.isdigit() and len(v) in (8, 9) for v in values):
            continue
        passing = sum(1 for v in values if is_bsn(v))
        if passing * 2 > len(values):
            raise Refused(
                _(
                    "The column “%(column)s” looks like citizen service numbers (BSN): nine "
                    "digits that pass the 11-proof. Kernteam never stores a BSN: use the "
                    "practice's own patient number."
                )
                % {"column": title.strip() or str(index + 1)},
                field="file",
            )


# --- a cell -------------------------------------------------------------------------------------

_DMY = re.compile(r"(\d{1,2})[-/.](\d{1,2})[-/.](\d{2,4})")
_YMD = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")


def parse_date(text: str) -> datetime.date | None:
    """dd-mm-jjjj (also with / or .), or jjjj-mm-dd; None when it is not a date."""
    if match := _YMD.fullmatch(text):
        year, month, day = (int(g) for g in match.groups())
    elif (match := _DMY.fullmatch(text)) and len(match[3]) == 4:
        day, month, year = (int(g) for g in match.groups())
    else:
        return None
    try:
        return datetime.date(year, month, day)
    except ValueError:
        return None


def yes_no(text: str) -> bool | None | str:
    """True, False, None (empty or "-"), or "?" when it is neither ja nor nee."""
    value = text.strip().lower()
    if not value or value == "-":
        return None
    if value in YES:
        return True
    if value in NO:
        return False
    return "?"


def formula_start(text: str, *, number: bool = False) -> str:
    """The character a spreadsheet would run the cell as a formula by ("" when it would not).
    `number`: the column holds numbers, where "-1" is out of range, not a formula."""
    if number and SIGNED_NUMBER.fullmatch(text):
        return ""
    return text[0] if len(text) > 1 and text.startswith(FORMULA_START) else ""


def formula_problem(char: str) -> str:
    return _("a cell starts with “%(char)s” (a formula); formulas are not read.") % {"char": char}
