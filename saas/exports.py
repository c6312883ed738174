"""Spreadsheet exports that never run a formula (OWASP's CSV injection advice).

Text from VTEX or a marketplace (a product name, a customer's name, an error message) reaches the exported cells. A
spreadsheet program takes a CSV cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return as a
formula, and openpyxl writes such a string as one; so in CSV such a cell is written behind a ``'`` (shown as text,
the quote hidden), and in XLSX every string is a text cell.
"""
import csv

from openpyxl.cell import WriteOnlyCell

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def as_text(value):
    """A CSV cell's value: a string that a spreadsheet would take for a formula gets a leading quote."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


class CsvWriter:
    """``csv.writer`` whose every string cell goes through :func:`as_text`."""

    def __init__(self, out, **options):
        self._writer = csv.writer(out, **options)

    def writerow(self, row) -> None:
        self._writer.writerow([as_text(value) for value in row])


def xlsx_row(sheet, row) -> list:
    """A row for a write-only sheet where every string is a text cell, never a formula."""
    return [_text_cell(sheet, value) if isinstance(value, str) else value for value in row]


def _text_cell(sheet, value: str) -> WriteOnlyCell:
    cell = WriteOnlyCell(sheet, value=value)
    cell.data_type = "s"
    return cell
