"""Reading an uploaded CSV file as Dutch practice systems and spreadsheets write it: the one
implementation behind both imports (the casefinding list, `clients.casefinding_import`, and a
team's caseload, `steps.caseload_import`).

What is read: UTF-8 (with or without Excel's byte-order mark) or Windows-1252, never the two
mixed; `;` or `,` between cells (the first line decides, or Excel's `sep=;` line before it);
every cell in Unicode's composed form (NFC: "Hélène" from a Mac's export, é written as e +
accent, is the same name as "Hélène"); a first line of column names matched whatever their
capitals, spacing, underscores and accents (`header_key`), the template's own name winning
over another word for it (`column_indexes`). What refuses the file as a whole (`Refused` on
the field "file", in Dutch): NUL bytes (a workbook, UTF-16), a mix of encodings, unreadable
quoting, a quote left open (a cell running over lines: no column either import reads holds a
line break; a column not read may, unless the cell holds whole records), a cell over
`MAX_CELL` characters, too many rows, two columns for one thing, and a BSN: a column named
like one or whose numbers pass the 11-proof (`refuse_bsn_columns`); a single practice number
that is a BSN is a problem of its row (`lone_bsn_lines`). What a row's check asks here: a date
(`parse_date`), ja/nee (`yes_no`), whether a cell starts like a formula (`formula_start`).
"""

from __future__ import annotations

import csv
import datetime
import io
import re
import unicodedata
from collections.abc import Callable, Iterable

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
    text: str,
    *,
    max_rows: int,
    too_many: str,
    columns_of: Callable[[list[str]], dict[str, int]],
) -> tuple[list[str], dict[str, int], list[tuple[int, list[str]]]]:
    """The header and the non-empty records, each with the line it starts on (the header is
    line 1). `;` or `,` between cells, whichever the first line has more of; Excel's first line
    `sep=;` (`sep=` and one character) names the delimiter and is skipped (Excel does not show
    it: the header is line 1 still). `columns_of` checks the column names as soon as they are
    read (its refusal comes before any of the rows') and gives the columns read, by name, with
    their indexes; they are returned with the header.
    Every cell comes in Unicode's composed form (NFC). Refused (on "file"): the file empty,
    unreadable quoting, a quote left open (`_Reader`: the line it starts on), a cell over
    `MAX_CELL` characters, more than `max_rows` records (`too_many`: the caller's words)."""
    if not text.strip():
        raise Refused(_("The file is empty."), field="file")
    text = text.lstrip("\ufeff")
    first_line = text.split("\n", 1)[0]
    if sep := _SEP_LINE.fullmatch(first_line):
        delimiter = sep[1]
        text = text.split("\n", 1)[1] if "\n" in text else ""
        first_line = text.split("\n", 1)[0]
    else:
        delimiter = ";" if first_line.count(";") >= first_line.count(",") else ","
    reader = _Reader(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter), delimiter)
    records: list[tuple[int, list[str]]] = []
    try:
        header = next(reader)
        columns = columns_of(header)
        reader.columns(len(header), columns.values())
        line = reader.line_num + 1
        for cells in reader:
            if any(c.strip() for c in cells):
                records.append((line, cells))
                if len(records) > max_rows:
                    raise Refused(too_many, field="file")
            line = reader.line_num + 1
    except StopIteration as exc:  # (nothing after Excel's `sep=` line)
        raise Refused(_("The file is empty."), field="file") from exc
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
    return header, columns, records


# Excel's first line naming the delimiter ("sep=;"); a quote cannot be one
_SEP_LINE = re.compile(r'sep=([^"\r\n])\r?')


class _Reader:
    """A csv reader that gives every cell in NFC, refuses a quote left open, and refuses a cell
    over `MAX_CELL` characters as csv's own field limit does (csv.field_size_limit is
    process-wide: not changed here).

    A quote left open swallows the lines after it: the residents on them would silently be
    lost. A line break is refused in the header and in the columns read (`columns`: none of
    them needs one); in a column not read (a remark, "belt zelf" Alt+Enter "na 10 uur" in
    Excel) it is kept, unless what follows the break holds the delimiter as often as a whole
    record does (the header's width less one): swallowed records, not a remark."""

    def __init__(self, reader, delimiter: str):
        self.reader = reader
        self.delimiter = delimiter
        self.started = 1
        self.width = 0
        self.read: set[int] | None = None  # None: every column (the header itself)

    def columns(self, width: int, read: Iterable[int]) -> None:
        """The header's width and the indexes of the columns read."""
        self.width = width
        self.read = set(read)

    @property
    def line_num(self) -> int:
        return self.reader.line_num

    def __iter__(self):
        return self

    def __next__(self) -> list[str]:
        self.started = self.reader.line_num + 1  # (a record with a quote left open: many lines)
        cells = next(self.reader)
        if any(self._open_quote(i, c) for i, c in enumerate(cells)):
            raise Refused(
                _(
                    "Line %(line)d: a quote is left open (the cell runs on to line %(end)d and "
                    "takes in the lines between); check the quotes."
                )
                % {"line": self.started, "end": self.reader.line_num},
                field="file",
            )
        if any(len(c) > MAX_CELL for c in cells):
            raise csv.Error("field larger than field limit")
        return [unicodedata.normalize("NFC", c) for c in cells]

    def _open_quote(self, index: int, cell: str) -> bool:
        match = _LINE_BREAK.search(cell)
        if match is None:
            return False
        if self.read is None or index in self.read:
            return True
        return cell[match.end() :].count(self.delimiter) >= max(self.width - 1, 1)


_LINE_BREAK = re.compile(r"[\r\n]")


# --- the columns --------------------------------------------------------------------------------


def column_indexes(
    header: list[str], *, fields: dict[str, set[str]], template: dict[str, str], ignored: list[str]
) -> dict[str, int]:
    """Which column holds what: {field: index}. `fields`: the names (as `header_key` gives
    them) each field may have; `template`: the template's name of each field. A column with
    the template's name is the field, whatever other name for it the file has too
    (`straat;nummer;patientnummer`: the patient number is `patientnummer`); two other names for
    one field refuse the file, naming both columns (which one holds it would be a guess). The
    titles of the columns not read are added to `ignored`. Refused (on "file"): a BSN column, a
    column named twice, two columns for one field."""
    names: list[str | None] = []
    seen: set[str] = set()
    for title in header:
        key = header_key(title)
        refuse_bsn_header(title)
        name = next((n for n, words in fields.items() if key in words), None)
        if name is not None and key in seen:
            raise refuse_duplicate_column(title)
        seen.add(key)
        names.append(name)
    columns: dict[str, int] = {}
    for name in fields:
        indexes = [i for i, n in enumerate(names) if n == name]
        exact = [i for i in indexes if header_key(header[i]) == header_key(template.get(name, ""))]
        if len(indexes) > 1 and not exact:
            raise Refused(
                _(
                    "The columns “%(first)s” and “%(second)s” both stand for %(field)s: which "
                    "one holds it? Call the right one “%(field)s” or remove the other, and "
                    "upload the file again."
                )
                % {
                    "first": header[indexes[0]].strip(),
                    "second": header[indexes[1]].strip(),
                    "field": template.get(name, name),
                },
                field="file",
            )
        if indexes:
            columns[name] = (exact or indexes)[0]
    read = set(columns.values())
    ignored.extend(t.strip() for i, t in enumerate(header) if i not in read and t.strip())
    return columns


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


# --- a BSN ----------------------------------------------------------------------------------------

_GROUPING = re.compile(r"[\s.\-\u2010-\u2015]")  # spaces, dots, dashes between digits
BSN_SHARE_MIN = 8  # numbers passing the 11-proof: with a third of a column or more, refused


def bsn_digits(value: str) -> str:
    """The digits of `value` if it is written as a BSN can be: eight or nine digits (eight: a
    leading zero lost in a spreadsheet), whatever spaces, dots or dashes group them ("123 456
    782", "123.456.782"); "" otherwise ("P77"; a date, "01-02-1940", is no number)."""
    plain = _GROUPING.sub("", value)
    if not (plain.isascii() and plain.isdigit() and len(plain) in (8, 9)):
        return ""
    return "" if parse_date(value.strip()) else plain


def is_bsn(value: str) -> bool:
    """Written as a BSN can be (`bsn_digits`), and its digits pass the 11-proof."""
    if not (plain := bsn_digits(value)):
        return False
    digits = [int(d) for d in plain.zfill(9)]
    total = sum(d * w for d, w in zip(digits[:8], range(9, 1, -1), strict=True)) - digits[8]
    return total % 11 == 0 and int(plain) != 0


def refuse_bsn_columns(header: list[str], records: list[tuple[int, list[str]]]) -> None:
    """A column whose numbers look like BSNs refuses the whole file, whatever its name.

    Judged over the values written as a BSN can be (`bsn_digits`), the others ("P77", a name,
    nothing) aside: refused when at least two pass the 11-proof and they are most of them, or
    when at least `BSN_SHARE_MIN` pass and they are a third or more (BSNs mixed with practice
    numbers). The false positives, chosen knowingly: a practice number of nine digits passes
    by chance one time in eleven, so a column of them is refused by chance about once in 120
    with two numbers, once in 40 with three, once in 150 with four or five, and less than once
    in 500 from six on (a caseload has 50 to 300). A single BSN among practice numbers is its
    row's problem (`lone_bsn_lines`).

    Judged over distinct numbers: a column repeating one number (the practice's AGB code, the
    GP's UZI number) says nothing of the patients, and is not judged at all when it holds one
    number only (one person's BSN is not every patient's)."""
    for index, title in enumerate(header):
        values = [c[index] for _, c in records if index < len(c)]
        shaped = {digits for v in values if (digits := bsn_digits(v))}
        if len(shaped) < 2:
            continue
        passing = sum(1 for v in shaped if is_bsn(v))
        if (passing >= 2 and passing * 2 > len(shaped)) or (
            passing >= BSN_SHARE_MIN and passing * 3 >= len(shaped)
        ):
            raise Refused(
                _(
                    "The column “%(column)s” looks like citizen service numbers (BSN): nine "
                    "digits that pass the 11-proof. Kernteam never stores a BSN: use the "
                    "practice's own patient number."
                )
                % {"column": title.strip() or str(index + 1)},
                field="file",
            )


def lone_bsn_lines(records: list[tuple[int, list[str]]], index: int) -> set[int]:
    """The lines whose practice number (the cells at `index`) is a BSN (`is_bsn`): a problem
    of that row (`bsn_problem`), so that one BSN among the practice's numbers is not stored
    either. Not judged by row when the practice's own numbers have eight or nine digits (at
    least half the column's values so written and failing the 11-proof): one of those passes
    by chance one time in eleven, and a BSN among them cannot be told from them (the column
    as a whole is judged, `refuse_bsn_columns`)."""
    values = [(line, c[index]) for line, c in records if index < len(c) and c[index].strip()]
    passing = {line for line, value in values if is_bsn(value)}
    own = sum(1 for line, value in values if line not in passing and bsn_digits(value))
    return set() if own * 2 >= len(values) else passing


def bsn_problem() -> str:
    return _(
        "the patient number looks like a BSN (its digits pass the 11-proof): Kernteam never "
        "stores a BSN. Give the practice's own patient number."
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


def check_same_file(*, previewed: str | None, sha256: str) -> None:
    """The file imported is the one the user saw checked (`previewed`: its SHA-256, from the
    web's confirmation; None from the API, which checks and imports in one request)."""
    if previewed is not None and previewed != sha256:
        raise Refused(
            _(
                "This is not the file you checked: it changed, or another was chosen. Check it "
                "again before importing."
            ),
            field="file",
        )
