"""Excel import: template, dry run, all-or-nothing commit, broken files, CLI, page with progress."""

from __future__ import annotations

import io
from datetime import date, datetime
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from anju.audit.models import AuditEvent
from anju.jobs.worker import run_once
from anju.people import fakes
from anju.people.importing import columns, validate, write
from anju.people.models import Household, ImportBatch, Resident, ResidentEvent
from anju.testing.people import PeopleWorld, person

pytestmark = pytest.mark.usefixtures("english")


def english(client: Any) -> Any:
    """Pages follow the language cookie (zh-Hans by default): read them in English here."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def rows(n: int, *, start: int = 100) -> list[dict[str, Any]]:
    return fakes.people_rows(n, buildings=["1栋", "2栋"], start=start)


def sheet_bytes(header: list[str], data: list[list[Any]]) -> bytes:
    """A workbook written cell by cell (typed values, formulas) with openpyxl."""
    book = Workbook()
    ws = book.active
    ws.title = "居民"
    ws.append(header)
    for row in data:
        ws.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


HEADER = [c.header for c in columns.COLUMNS]


def as_list(row: dict[str, Any]) -> list[Any]:
    return [row.get(c.key, "") for c in columns.COLUMNS]


def counts() -> tuple[int, int, int, int]:
    return (
        Resident.objects.count(),
        Household.objects.count(),
        ResidentEvent.objects.count(),
        AuditEvent.objects.filter(action="resident.imported").count(),
    )


def test_good_file_dry_run_writes_nothing_then_commit_writes_all(people_world: PeopleWorld) -> None:
    data = fakes.workbook(rows(40))
    before = counts()
    plan = validate.dry_run(people_world.community, data)
    assert plan.ok, plan.problems
    assert plan.summary()["rows"] == 40
    assert counts() == before
    summary = write.commit(actor=people_world.users["community_worker"], community=people_world.community, data=data)
    assert summary["residents_created"] == 40
    after = counts()
    assert after[0] == before[0] + 40
    assert after[3] == before[3] + 1
    imported = Resident.objects.filter(events__kind="imported")
    assert imported.count() == 40
    assert all(r.id_number_sealed.startswith("v1:") for r in imported)
    assert imported.filter(tags__name="老人").exists()
    # Running the same file again: every row is a duplicate against the database; nothing written.
    again = validate.dry_run(people_world.community, data)
    assert {p.row for p in again.problems if p.column == "身份证号"} == set(range(2, 42))
    assert {p.column for p in again.problems} <= {"身份证号", "与户主关系"}
    with pytest.raises(columns.ImportRejected):
        write.commit(actor=None, community=people_world.community, data=data)
    assert counts() == after


def test_template_has_the_columns_and_examples_and_imports_when_filled(
    people_world: PeopleWorld, client_for: Any
) -> None:
    # A zh-Hans reader gets the template in Chinese, instructions included; an English reader in English.
    chinese = client_for(people_world.users["community_worker"])
    response = chinese.get(reverse("people:import_template"))
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["居民", "说明", "示例"]
    assert [c.value.rstrip("*") for c in book["居民"][1]] == HEADER
    assert [c.value for c in book["说明"][1]] == ["列", "必填", "填写说明"]
    assert book["说明"]["C2"].value == "姓名，与身份证一致。"
    assert book["示例"].max_row == 4
    # The examples themselves are valid rows.
    examples = [[c.value for c in row] for row in book["示例"].iter_rows(min_row=2)]
    plan = validate.dry_run(people_world.community, sheet_bytes(HEADER, examples))
    assert plan.ok, plan.problems
    book = load_workbook(
        io.BytesIO(
            english(client_for(people_world.users["community_worker"])).get(reverse("people:import_template")).content
        )
    )
    assert book.sheetnames == ["居民", "Instructions", "Examples"]
    english_header = [c.value.rstrip("*") for c in book["居民"][1]]
    assert english_header[:4] == ["Name", "Gender", "Birth date", "ID number"]
    assert book["Instructions"]["C2"].value == "Full name as on the ID card."
    # English headers import as well as Chinese ones.
    examples = [[c.value for c in row] for row in book["Examples"].iter_rows(min_row=2)]
    plan = validate.dry_run(people_world.community, sheet_bytes(english_header, examples))
    assert plan.ok, plan.problems


def problems_of(community: Any, data: bytes) -> list[tuple[int | None, str, str]]:
    plan = validate.dry_run(community, data)
    return [(p.row, p.column, p.message) for p in plan.problems]


def test_broken_rows_are_all_reported_with_row_and_column_and_nothing_written(people_world: PeopleWorld) -> None:
    good = rows(6)
    bad_check = dict(good[0], id_number=good[0]["id_number"][:-1] + ("1" if good[0]["id_number"][-1] != "1" else "2"))
    dup_in_file = dict(good[1], household_number="X1", relation="子女")
    dup_in_db = dict(good[2], id_number=person(1)["id_number"], birth_date="1950-05-17", gender="男")
    bad_date = dict(good[3], birth_date="17/05/1950")
    bad_mobile = dict(good[4], mobile="12345")
    data = sheet_bytes(
        HEADER,
        [
            as_list(bad_check),  # row 2
            as_list(good[1]),  # row 3
            [None] * len(HEADER),  # row 4: empty, skipped
            as_list(dup_in_file),  # row 5
            as_list(dup_in_db),  # row 6
            as_list(bad_date),  # row 7
            as_list(bad_mobile),  # row 8
            as_list(good[5]),  # row 9
        ],
    )
    before = counts()
    found = problems_of(people_world.community, data)
    where = {(row, column) for row, column, _message in found}
    assert (2, "身份证号") in where
    assert (5, "身份证号") in where
    assert (6, "身份证号") in where
    assert (7, "出生日期") in where
    assert (8, "手机号") in where
    messages = {(row, column): message for row, column, message in found}
    assert "check digit" in messages[(2, "身份证号")]
    assert "row 3" in messages[(5, "身份证号")]
    assert "registered already" in messages[(6, "身份证号")]
    assert "YYYY-MM-DD" in messages[(7, "出生日期")]
    assert not any(row in (3, 4, 9) for row, _c, _m in found)
    with pytest.raises(columns.ImportRejected) as exc:
        write.commit(actor=None, community=people_world.community, data=data)
    assert len(exc.value.problems) == len(found)
    assert counts() == before


def test_missing_required_column_is_reported(people_world: PeopleWorld) -> None:
    header = [h for h in HEADER if h != "身份证号"]
    data = sheet_bytes(header, [[r.get(c.key, "") for c in columns.COLUMNS if c.header != "身份证号"] for r in rows(2)])
    assert problems_of(people_world.community, data) == [(1, "身份证号", "The required column “身份证号” is missing.")]


def test_formulas_numbers_and_dates_in_cells(people_world: PeopleWorld) -> None:
    r = rows(3)
    formula = as_list(r[0])
    formula[HEADER.index("姓名")] = '=CONCATENATE("张","三")'
    as_float = as_list(r[1])
    as_float[HEADER.index("身份证号")] = float(r[1]["id_number"][:15] + "000")
    real_date = as_list(r[2])
    real_date[HEADER.index("出生日期")] = datetime.fromisoformat(r[2]["birth_date"])
    real_date[HEADER.index("手机号")] = int(r[2]["mobile"]) if r[2]["mobile"] else None
    found = problems_of(people_world.community, sheet_bytes(HEADER, [formula, as_float, real_date]))
    assert [(row, column) for row, column, _m in found] == [(2, "姓名"), (3, "身份证号")]
    assert "formula" in found[0][2]
    assert "format the column as text" in found[1][2]


def test_unknown_building_tag_and_relation(people_world: PeopleWorld) -> None:
    r = rows(1)[0]
    bad = dict(r, building="99栋", tags="老人、外星人", relation="邻居")
    found = problems_of(people_world.community, sheet_bytes(HEADER, [as_list(bad)]))
    assert {column for _row, column, _m in found} == {"楼栋", "标签", "与户主关系"}


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        (b"PK\x03\x04" + b"\0" * (50 * 1024 * 1024), "the limit is 10 MB"),
        (b"name,id\n\xe5\xbc\xa0\xe4\xb8\x89,1\n", "not an Excel .xlsx file"),
        (b"PK\x03\x04 broken zip", "not an Excel .xlsx file"),
        (b"", "empty"),
    ],
    ids=["50MB", "csv", "broken-zip", "empty"],
)
def test_whole_file_problems_are_refused_before_parsing(people_world: PeopleWorld, data: bytes, fragment: str) -> None:
    found = problems_of(people_world.community, data)
    assert len(found) == 1
    assert fragment in found[0][2]


def test_a_zip_that_is_not_a_workbook(people_world: PeopleWorld) -> None:
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("hello.txt", "hi")
    assert "not an Excel" in problems_of(people_world.community, out.getvalue())[0][2]


def test_cli_dry_run_then_commit_with_progress_on_stderr(people_world: PeopleWorld, tmp_path: Path) -> None:
    path = tmp_path / "residents.xlsx"
    path.write_bytes(fakes.workbook(rows(30)))
    out, err = StringIO(), StringIO()
    before = counts()
    call_command(
        "import", "residents", str(path), "--community", str(people_world.community.pk), stdout=out, stderr=err
    )
    assert "Dry run: 30 residents" in out.getvalue()
    assert "checking" in err.getvalue()
    assert counts() == before
    call_command("import", "residents", str(path), "--community", "安居社区", "--commit", stdout=out, stderr=err)
    assert "Imported 30 residents" in out.getvalue()
    assert "writing" in err.getvalue()
    assert counts()[0] == before[0] + 30
    with pytest.raises(CommandError, match="problem"):
        call_command("import", "residents", str(path), "--community", "安居社区", stdout=out, stderr=err)
    assert "身份证号" in out.getvalue()


def test_page_upload_check_commit_with_progress(people_world: PeopleWorld, client_for: Any) -> None:
    client = english(client_for(people_world.users["community_worker"]))
    data = fakes.workbook(rows(25))
    upload = SimpleUploadedFile("居民.xlsx", data)
    response = client.post(reverse("people:import"), {"community": people_world.community.pk, "file": upload})
    batch = ImportBatch.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("people:import_batch", args=[batch.pk])
    assert batch.status == "checking"
    assert batch.file_sealed.startswith("v1:")
    progress = client.get(reverse("people:import_progress", args=[batch.pk]), HTTP_HX_REQUEST="true")
    assert b"hx-trigger" in progress.content
    before = counts()
    run_once()
    batch.refresh_from_db()
    assert batch.status == "ready"
    assert batch.summary["rows"] == 25
    assert counts() == before
    done = client.get(reverse("people:import_progress", args=[batch.pk]), HTTP_HX_REQUEST="true")
    assert done["HX-Refresh"] == "true"
    page = client.get(reverse("people:import_batch", args=[batch.pk]))
    assert "Import 25 residents" in page.content.decode()
    client.post(reverse("people:import_commit", args=[batch.pk]))
    run_once()
    batch.refresh_from_db()
    assert batch.status == "done"
    assert batch.file_sealed == ""
    assert counts()[0] == before[0] + 25
    # A second commit of a finished batch changes nothing.
    client.post(reverse("people:import_commit", args=[batch.pk]))
    run_once()
    assert counts()[0] == before[0] + 25


def test_page_rejected_file_lists_problems_and_forgets_the_file(people_world: PeopleWorld, client_for: Any) -> None:
    client = english(client_for(people_world.users["community_worker"]))
    bad = dict(rows(1)[0], birth_date="1950-13-45")
    client.post(
        reverse("people:import"),
        {
            "community": people_world.community.pk,
            "file": SimpleUploadedFile("x.xlsx", sheet_bytes(HEADER, [as_list(bad)])),
        },
    )
    run_once()
    batch = ImportBatch.objects.get()
    assert batch.status == "rejected"
    assert batch.file_sealed == ""
    page = client.get(reverse("people:import_batch", args=[batch.pk])).content.decode()
    assert "出生日期" in page
    assert "Nothing has been written" in page
    assert client.post(reverse("people:import_commit", args=[batch.pk])).status_code == 302
    assert ImportBatch.objects.get().status == "rejected"


def test_page_refuses_a_50mb_upload_and_a_non_xlsx_without_storing(people_world: PeopleWorld, client_for: Any) -> None:
    client = english(client_for(people_world.users["community_worker"]))
    big = SimpleUploadedFile("big.xlsx", b"PK\x03\x04" + b"\0" * (50 * 1024 * 1024))
    response = client.post(reverse("people:import"), {"community": people_world.community.pk, "file": big})
    assert response.status_code == 200
    assert "the limit is 10 MB" in response.content.decode()
    text = SimpleUploadedFile("residents.xlsx", "姓名,身份证号\n张三,1\n".encode())
    response = client.post(reverse("people:import"), {"community": people_world.community.pk, "file": text})
    assert response.status_code == 200
    assert "not an Excel .xlsx file" in response.content.decode()
    assert not ImportBatch.objects.exists()


def test_only_import_roles_reach_the_import_pages(people_world: PeopleWorld, client_for: Any) -> None:
    for role in ("volunteer", "grid_worker", "supervisor"):
        assert client_for(people_world.users[role]).get(reverse("people:import")).status_code == 403
    other = client_for(people_world.users["other_worker"])
    response = other.post(
        reverse("people:import"),
        {"community": people_world.community.pk, "file": SimpleUploadedFile("x.xlsx", fakes.workbook(rows(1)))},
    )
    assert response.status_code == 200
    assert not ImportBatch.objects.exists()


def test_date_today_is_needed_for_plausibility(people_world: PeopleWorld) -> None:
    future = dict(rows(1)[0])
    born = date(2030, 1, 1)
    future.update(birth_date=born.isoformat(), id_number=fakes.id_number(born, 9, male=True), gender="男")
    found = problems_of(people_world.community, sheet_bytes(HEADER, [as_list(future)]))
    assert {column for _r, column, _m in found} >= {"身份证号"}


# --- export → correct → import: one layout ----------------------------------------------------------


def _snapshot() -> dict[int, tuple[Any, ...]]:
    return {
        r.pk: (
            r.name,
            r.gender,
            r.birth_date,
            r.id_number,
            r.mobile,
            r.relation,
            r.is_party_member,
            r.party_branch,
            r.household_id,
            tuple(sorted(t.name for t in r.tags.all())),
        )
        for r in Resident.objects.prefetch_related("tags")
    }


def _edit(content: bytes, row: int, header: str, value: Any) -> bytes:
    book = load_workbook(io.BytesIO(content))
    sheet = book["居民"]
    column = [c.value for c in sheet[1]].index(header) + 1
    sheet.cell(row=row, column=column, value=value)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_an_export_corrected_in_one_cell_imports_back_changing_only_that_cell(
    people_world: PeopleWorld, client_for: Any, language: str
) -> None:
    worker = people_world.users["community_worker"]
    client = client_for(worker)
    if language == "en":
        english(client)
    exported = client.get(reverse("people:export"))
    assert exported.status_code == 200
    book = load_workbook(io.BytesIO(exported.content))
    header = [c.value for c in book["居民"][1]]
    # The export has the import's columns, in the reader's language, then the status.
    template = load_workbook(io.BytesIO(client.get(reverse("people:import_template")).content))
    assert header[:-1] == [c.value.rstrip("*") for c in template["居民"][1]]
    name_header, branch_header = ("姓名", "所属党支部") if language == "zh-hans" else ("Name", "Party branch")
    number_header = "居民编号" if language == "zh-hans" else "Resident no."
    numbers = [r[header.index(number_header)] for r in book["居民"].iter_rows(min_row=2, values_only=True)]
    target = people_world.residents[1]
    row = numbers.index(target.pk) + 2
    before = _snapshot()
    events = AuditEvent.objects.filter(action="resident.updated").count()
    data = _edit(exported.content, row, branch_header, "安居社区第二党支部")
    plan = validate.dry_run(people_world.community, data)
    assert plan.ok, plan.problems
    assert plan.summary()["updates"] == 1
    assert not plan.rows
    write.commit(actor=worker, community=people_world.community, data=data)
    after = _snapshot()
    changed = {pk for pk in before if before[pk] != after[pk]}
    assert changed == {target.pk}
    assert after[target.pk][7] == "安居社区第二党支部"
    assert after[target.pk][:7] == before[target.pk][:7]  # masked ID and mobile kept, nothing else touched
    assert AuditEvent.objects.filter(action="resident.updated").count() == events + 1
    assert len(after) == len(before)  # no one registered twice
    # Importing a fresh export untouched changes nothing at all.
    write.commit(actor=worker, community=people_world.community, data=client.get(reverse("people:export")).content)
    assert _snapshot() == after
    assert AuditEvent.objects.filter(action="resident.updated").count() == events + 1
    # A bad cell in a corrected row is reported by row and column, and nothing is written.
    bad = _edit(exported.content, row, name_header, "")
    problems = problems_of(people_world.community, bad)
    assert problems
    assert problems[0][:2] == (row, name_header)


def test_a_resident_number_from_another_community_is_refused(people_world: PeopleWorld, client_for: Any) -> None:
    exported = client_for(people_world.users["community_worker"]).get(reverse("people:export")).content
    book = load_workbook(io.BytesIO(exported))
    header = [c.value for c in book["居民"][1]]
    data = _edit(exported, 2, "居民编号", people_world.other_resident.pk)
    problems = problems_of(people_world.community, data)
    assert (2, "居民编号") in [p[:2] for p in problems]
    assert "居民编号" in header
