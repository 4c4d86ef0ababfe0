"""CSV for spreadsheets: every export writes its cells through `cell()`, so that a value beginning with
=, +, - or @ is never run as a formula by the program that opens it."""
from __future__ import annotations

import csv
import io


def cell(value) -> str:
    """A cell a spreadsheet will not run as a formula."""
    text = "" if value is None else ("1" if value is True else "0" if value is False else str(value))
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


def csv_text(header: list[str], rows) -> str:
    """The header and the rows, each cell through `cell()`."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    for row in rows:
        writer.writerow([cell(v) for v in row])
    return out.getvalue()
