"""Read CSV or XLSX files (chosen by extension) into rows that remember their line numbers.

Line numbers are as a person sees them in the file: the header is line 1. Shared by every
tabular import (registry, self-inspection points, clue exports).
"""

from __future__ import annotations

import csv
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from ecoradar.core.errors import ImportRefused, InputError, RowError

MAX_CELL_CHARS = 10_000
"""A cell longer than this is refused: no legitimate registry field is that long."""


@dataclass(frozen=True)
class Row:
    line: int
    values: dict[str, str]

    def get(self, column: str) -> str:
        return self.values.get(column, "").strip()


@dataclass(frozen=True)
class Table:
    path: Path
    columns: list[str]
    rows: list[Row]

    @property
    def name(self) -> str:
        return self.path.name


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


def _csv_rows(path: Path) -> Iterator[tuple[int, list[str]]]:
    try:
        handle = path.open(encoding="utf-8-sig", newline="")
    except OSError as exc:
        raise InputError(f"{path}: cannot be read: {exc.strerror}") from exc
    with handle:
        reader = csv.reader(handle)
        try:
            for record in reader:
                yield reader.line_num, record
        except UnicodeDecodeError as exc:
            raise InputError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from exc
        except csv.Error as exc:
            raise InputError(f"{path}:{reader.line_num}: malformed CSV: {exc}") from exc


def _xlsx_rows(path: Path) -> Iterator[tuple[int, list[str]]]:
    from openpyxl import load_workbook  # imported lazily: only XLSX imports need it

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except (OSError, ValueError, KeyError) as exc:
        raise InputError(f"{path}: not a readable XLSX workbook: {exc}") from exc
    except Exception as exc:  # zipfile.BadZipFile and friends from openpyxl
        raise InputError(f"{path}: not a readable XLSX workbook: {exc}") from exc
    try:
        sheet = workbook.worksheets[0]
        for number, record in enumerate(sheet.iter_rows(values_only=True), start=1):
            yield number, [_cell_text(v) for v in record]
    finally:
        workbook.close()


def read_table(path: Path, *, required: Sequence[str], optional: Sequence[str] = ()) -> Table:
    """Read ``path`` (``.csv`` or ``.xlsx``), checking the header.

    Raises ``InputError`` when the file cannot be read and ``ImportRefused`` when columns are
    missing or unknown, or a cell is too long.
    """
    suffix = path.suffix.lower()
    if suffix == ".csv":
        records: Iterator[tuple[int, list[str]]] = _csv_rows(path)
    elif suffix in (".xlsx", ".xlsm"):
        records = _xlsx_rows(path)
    else:
        raise InputError(f"{path}: unsupported file type {suffix!r}; use .csv or .xlsx")
    if not path.is_file():
        raise InputError(f"{path}: no such file")
    header: list[str] | None = None
    rows: list[Row] = []
    errors: list[RowError] = []
    for line, record in records:
        cells = [c.strip() for c in record]
        if header is None:
            header = [c.lstrip("\ufeff").strip() for c in cells]
            while header and not header[-1]:
                header.pop()
            errors.extend(_header_errors(path.name, header, required, optional))
            if errors:
                raise ImportRefused(errors)
            continue
        if not any(cells):
            continue
        if len(cells) > len(header) and any(cells[len(header) :]):
            errors.append(
                RowError(path.name, line, "-", f"{len(cells)} cells, header has {len(header)}")
            )
            continue
        values = {col: (cells[i] if i < len(cells) else "") for i, col in enumerate(header)}
        for column, value in values.items():
            if len(value) > MAX_CELL_CHARS:
                errors.append(
                    RowError(path.name, line, column, f"longer than {MAX_CELL_CHARS} characters")
                )
        rows.append(Row(line, values))
    if header is None:
        raise ImportRefused([RowError(path.name, 1, "-", "empty file: no header row")])
    if errors:
        raise ImportRefused(errors)
    return Table(path, header, rows)


def _header_errors(
    name: str, header: list[str], required: Sequence[str], optional: Sequence[str]
) -> list[RowError]:
    errors = []
    known = set(required) | set(optional)
    for column in required:
        if column not in header:
            errors.append(RowError(name, 1, column, "required column missing"))
    seen: set[str] = set()
    for column in header:
        if column in seen:
            errors.append(RowError(name, 1, column, "column appears twice"))
        seen.add(column)
        if column not in known:
            errors.append(
                RowError(name, 1, column or "(blank)", f"unknown column; expected {sorted(known)}")
            )
    return errors
