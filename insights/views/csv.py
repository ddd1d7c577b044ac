"""CSV downloads of the insights tables and drill-downs.

UTF-8 with a byte order mark: the people who download these open them in Excel, which reads a
UTF-8 file without one as the system's legacy code page (names from Brazil or Europe come out
garbled); pandas (`encoding="utf-8-sig"`), DuckDB and LibreOffice read it either way. Numbers
are written with a dot and no grouping, whatever the page's language, so a spreadsheet or a
script reads them as numbers. Text that a spreadsheet would run as a formula (=, +, -, @, tab,
carriage return first) is prefixed with an apostrophe (OWASP "CSV injection")."""

import csv
from collections.abc import Iterable, Iterator, Sequence
from decimal import Decimal

from django.http import StreamingHttpResponse

BYTE_ORDER_MARK = "\ufeff"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class _Echo:
    """A file-like object whose write returns the line, for streaming csv.writer output."""

    def write(self, value: str) -> str:
        return value


def cell(value) -> str | Decimal | int:
    """One value as the CSV should hold it."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, Decimal):
        return format(value, "f")  # never "1E+2"
    if isinstance(value, int):
        return value
    text = str(value)
    if text.startswith(FORMULA_STARTS):
        return "'" + text
    return text


def lines(header: Sequence[str], rows: Iterable[Sequence]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield BYTE_ORDER_MARK + writer.writerow([cell(name) for name in header])
    for row in rows:
        yield writer.writerow([cell(value) for value in row])


def csv_response(filename: str, header: Sequence[str], rows: Iterable[Sequence]):
    """A streamed CSV download: rows may be a lazy iterator over a large query."""
    response = StreamingHttpResponse(lines(header, rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response
