"""The import template (with its help and examples) and the export workbook, both in the import's columns."""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

from django.utils.translation import gettext as _

from anju.core.excel import safe_row
from anju.people import layout
from anju.people.importing.columns import COLUMNS, SHEET_NAME


def build_template() -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font, PatternFill
    from openpyxl.worksheet.datavalidation import DataValidation

    book = Workbook()
    sheet = book.active
    sheet.title = SHEET_NAME
    bold = Font(bold=True)
    required_fill = PatternFill("solid", fgColor="FCE4D6")
    text_columns = {"id_number", "mobile", "door", "entrance", "household_number"}
    for index, column in enumerate(COLUMNS, start=1):
        title = layout.header(column.key, column.header)  # in the user's language; both are accepted
        cell = sheet.cell(row=1, column=index, value=title + ("*" if column.required else ""))
        cell.font = bold
        if column.required:
            cell.fill = required_fill
        letter = cell.column_letter
        sheet.column_dimensions[letter].width = 22 if column.key in ("id_number", "party_branch", "tags") else 12
        if column.key in text_columns:
            for row in range(2, 2001):
                sheet.cell(row=row, column=index).number_format = "@"
    choices = {
        "gender": '"男,女"',
        "is_party_member": '"是,否"',
        "is_central": '"是,否"',
        "relation": '"户主,配偶,子女,父母,孙子女,祖父母,兄弟姐妹,儿媳,女婿,其他"',
    }
    for index, column in enumerate(COLUMNS, start=1):
        if column.key in choices:
            rule = DataValidation(type="list", formula1=choices[column.key], allow_blank=True)
            letter = sheet.cell(row=1, column=index).column_letter
            rule.add(f"{letter}2:{letter}5000")
            sheet.add_data_validation(rule)
    sheet.freeze_panes = "A2"
    _data, help_name, examples_name = layout.sheet_names()
    help_sheet = book.create_sheet(help_name)
    help_sheet.append([_("Column"), _("Required"), _("What to write")])
    for column in COLUMNS:
        help_sheet.append(
            [
                layout.header(column.key, column.header),
                layout.yes_no(True) if column.required else "",
                str(layout.HELP.get(column.key, column.help)),
            ]
        )
    help_sheet.column_dimensions["A"].width = 14
    help_sheet.column_dimensions["C"].width = 80
    examples = book.create_sheet(examples_name)
    examples.append([layout.header(c.key, c.header) for c in COLUMNS])
    for i in range(3):
        examples.append([c.example[i] if c.example else "" for c in COLUMNS])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def rows_to_xlsx(headers: list[str], rows: Iterator[list[Any]]) -> bytes:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet(SHEET_NAME)
    sheet.append(headers)
    for row in rows:
        sheet.append(safe_row(row))  # a text that would run as a formula in Excel is quoted
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
