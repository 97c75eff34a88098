"""Reading an import file: the file as a whole, then its first sheet's rows as raw values by column."""

from __future__ import annotations

import io
import unicodedata
import zipfile
from collections.abc import Iterator
from typing import Any

from django.utils.translation import gettext as _

from anju.people import layout
from anju.people.importing.columns import (
    BATCH,
    COLUMNS,
    IMPORT_MAX_BYTES,
    IMPORT_MAX_ROWS,
    IMPORT_MAX_UNZIPPED,
    SHEET_NAME,
    Problem,
    Progress,
    no_progress,
)


def check_file(data: bytes, *, max_bytes: int | None = None) -> list[Problem]:
    """Problems with the file as a whole, found before any parsing."""
    limit = max_bytes or IMPORT_MAX_BYTES
    if len(data) > limit:
        return [
            Problem(
                None,
                "",
                _("The file is %(size)s MB; the limit is %(limit)s MB. Split it into smaller files.")
                % {"size": f"{len(data) / 1048576:.1f}", "limit": f"{limit / 1048576:.0f}"},
            )
        ]
    if not data:
        return [Problem(None, "", _("The file is empty."))]
    if not data.startswith(b"PK\x03\x04"):
        return [Problem(None, "", _("This is not an Excel .xlsx file. Save it as “Excel Workbook (.xlsx)” and retry."))]
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
            unzipped = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, ValueError):
        return [Problem(None, "", _("This is not an Excel .xlsx file. Save it as “Excel Workbook (.xlsx)” and retry."))]
    if "xl/workbook.xml" not in names:
        return [Problem(None, "", _("This is not an Excel .xlsx file. Save it as “Excel Workbook (.xlsx)” and retry."))]
    if unzipped > IMPORT_MAX_UNZIPPED:
        return [Problem(None, "", _("The workbook is too large once unpacked. Split it into smaller files."))]
    return []


def cell_text(value: Any) -> str:
    """A cell's value as text, Unicode-normalised (full-width digits become ASCII) and stripped."""
    return unicodedata.normalize("NFKC", str(value)).strip() if value is not None else ""


def _header_key(text: str) -> str | None:
    cleaned = cell_text(text).replace("*", "").replace("＊", "").strip().lower()
    for column in COLUMNS:
        if cleaned == column.header or cleaned in column.aliases:
            return column.key
    return layout.key_of_english(cleaned)  # the headers of an English template or export


def is_blank(value: Any) -> bool:
    """Is the cell empty (nothing, or only spaces)?"""
    return value is None or (isinstance(value, str) and not value.strip())


def read_rows(
    data: bytes, progress: Progress = no_progress
) -> tuple[dict[str, str], list[tuple[int, dict[str, Any]]], list[Problem]]:
    """(header by key, [(row number, raw values by key)], problems) of the first sheet."""
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except Exception:  # noqa: BLE001  openpyxl raises many kinds on a damaged file
        return (
            {},
            [],
            [Problem(None, "", _("The workbook could not be read. Open it in Excel, save it again and retry."))],
        )
    try:
        sheet = workbook[SHEET_NAME] if SHEET_NAME in workbook.sheetnames else workbook.worksheets[0]
        total = max((sheet.max_row or 0) - 1, 0)
        problems: list[Problem] = []
        headers: dict[str, str] = {}
        positions: dict[int, str] = {}
        rows: list[tuple[int, dict[str, Any]]] = []
        header_row = 0
        iterator: Iterator[tuple[Any, ...]] = sheet.iter_rows(values_only=True)
        for number, values in enumerate(iterator, start=1):
            if not header_row:
                if all(is_blank(v) for v in values):
                    continue
                header_row = number
                for position, value in enumerate(values):
                    key = _header_key(str(value)) if value is not None else None
                    if key and key not in headers:
                        headers[key] = cell_text(value).replace("*", "")
                        positions[position] = key
                missing = [c for c in COLUMNS if c.required and c.key not in headers]
                english = any(layout.key_of_english(text) for text in headers.values())  # the sheet's language
                for column in missing:
                    shown = layout.HEADER_EN[column.key] if english else column.header
                    problems.append(Problem(number, shown, _("The required column “%(c)s” is missing.") % {"c": shown}))
                if missing:
                    return headers, [], problems
                continue
            if all(is_blank(v) for v in values):
                continue
            if len(rows) >= IMPORT_MAX_ROWS:
                problems.append(
                    Problem(number, "", _("A file may hold at most %(n)d residents.") % {"n": IMPORT_MAX_ROWS})
                )
                break
            rows.append((number, {key: values[pos] for pos, key in positions.items() if pos < len(values)}))
            if len(rows) % BATCH == 0:
                progress("reading", len(rows), total)
        if not header_row:
            problems.append(Problem(None, "", _("The workbook is empty: no header row was found.")))
        return headers, rows, problems
    except Exception:  # noqa: BLE001
        return (
            {},
            [],
            [Problem(None, "", _("The workbook could not be read. Open it in Excel, save it again and retry."))],
        )
    finally:
        workbook.close()
