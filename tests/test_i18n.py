"""The committed translation catalogues: complete, compiled, and what Django actually serves."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import polib
import pytest
from django.test import Client
from django.utils import translation
from django.utils.translation import gettext, ngettext, npgettext, pgettext

from anju.core import i18n

LOGIN = "/accounts/login/"
ZH_PO = i18n.LOCALE_DIR / "zh_Hans" / "LC_MESSAGES" / "django.po"
NAMED = re.compile(r"%\((\w+)\)([sd])")

# The words the product must use (see the glossary); a change here is a deliberate decision.
GLOSSARY = {
    "Home": "首页",
    "Large text": "长辈模式",
    "Sign in": "登录",
    "Sign out": "退出登录",
    "My account": "我的账号",
    "Accounts": "账号管理",
    "Station and spaces": "服务站与场地",
    "Org tree": "组织架构",
    "Departments": "职能部门",
    "Task forces": "工作专班",
    "Audit trail": "审计日志",
    "Personal-data access log": "个人信息查阅记录",
    "Background work": "后台任务",
    "Periodic tasks": "定时任务",
    "Mobile number": "手机号",
    "Grid worker": "网格员",
    "Community worker": "社区工作者",
    "Branch secretary": "党支部书记",
    "Department liaison": "部门联络员",
    "Volunteer (party member)": "党员志愿者",
    "Supervisor": "督查员",
    "Administrator": "系统管理员",
    "Disable account": "停用账号",
    "Grant role": "授予角色",
    "Revoke": "撤销",
    "Area": "片区",
    "Grid": "网格",
    "Building": "楼栋",
}


def _entries(po: polib.POFile | polib.MOFile) -> dict[tuple[str | None, str, str], Any]:
    """(context, msgid, msgid_plural) → translation, for the live (not obsolete, not fuzzy) entries."""
    found: dict[tuple[str | None, str, str], Any] = {}
    for entry in po:
        if entry.obsolete or "fuzzy" in entry.flags:
            continue
        key = (entry.msgctxt or None, entry.msgid, entry.msgid_plural)
        found[key] = dict(entry.msgstr_plural) if entry.msgid_plural else entry.msgstr
    return found


def _served(entry: polib.POEntry, n: int = 1) -> str:
    """The entry's text as Django's gettext machinery returns it in the active language."""
    if entry.msgid_plural and entry.msgctxt:
        return npgettext(entry.msgctxt, entry.msgid, entry.msgid_plural, n)
    if entry.msgid_plural:
        return ngettext(entry.msgid, entry.msgid_plural, n)
    if entry.msgctxt:
        return pgettext(entry.msgctxt, entry.msgid)
    return gettext(entry.msgid)


@pytest.fixture(scope="module")
def zh_po() -> polib.POFile:
    return polib.pofile(str(ZH_PO))


def test_catalogues_exist_and_have_no_problems():
    catalogues = i18n.catalogues()
    assert ZH_PO in catalogues
    for path in catalogues:
        assert i18n.problems(path) == [], path


def test_problems_detects_bad_entries(tmp_path: Path):
    """The checker itself must bite: untranslated, fuzzy and placeholder drift are all reported."""
    po = polib.POFile()
    po.metadata = {"Content-Type": "text/plain; charset=UTF-8", "Plural-Forms": "nplurals=1; plural=0;"}
    po.append(polib.POEntry(msgid="Untranslated", msgstr=""))
    po.append(polib.POEntry(msgid="Fuzzy", msgstr="模糊", flags=["fuzzy"]))
    po.append(polib.POEntry(msgid="Hello, %(name)s", msgstr="您好，%(nom)s", flags=["python-format"]))
    po.append(polib.POEntry(msgid="%(n)s item", msgid_plural="%(n)s items", msgstr_plural={0: ""}))
    path = tmp_path / "django.po"
    po.save(str(path))
    found = "\n".join(i18n.problems(path))
    assert "'Untranslated' is untranslated" in found
    assert "'Fuzzy' is fuzzy" in found
    assert "'Hello, %(name)s'" in found
    assert "untranslated plural" in found


def test_zh_hans_header_declares_one_plural_form(zh_po: polib.POFile):
    assert zh_po.metadata["Plural-Forms"].replace(" ", "") == "nplurals=1;plural=0;"
    assert not zh_po.metadata_is_fuzzy
    for entry in zh_po:
        if entry.msgid_plural:
            assert set(entry.msgstr_plural) == {0}, entry.msgid


def test_every_entry_is_really_translated(zh_po: polib.POFile):
    """A zh-Hans string carries Chinese, not a copy of the English (product names aside). Punctuation
    with no words (the label colon ": ", which Chinese writes full-width) needs none."""
    han = re.compile(r"[\u4e00-\u9fff]")
    words = re.compile(r"[A-Za-z]")
    copies = [e.msgid for e in zh_po if not e.msgid_plural and words.search(e.msgid) and not han.search(e.msgstr)]
    assert copies == []


@pytest.mark.parametrize("po_path", i18n.catalogues(), ids=lambda p: f"{p.parent.parent.name}/{p.name}")
def test_committed_mo_matches_po(po_path: Path, tmp_path: Path):
    mo_path = po_path.with_suffix(".mo")
    assert mo_path.exists(), f"{mo_path.name} is missing: run `python -m anju.core.i18n compile`"
    po = polib.pofile(str(po_path))
    committed = polib.mofile(str(mo_path))
    fresh_path = tmp_path / "fresh.mo"
    po.save_as_mofile(str(fresh_path))
    fresh = polib.mofile(str(fresh_path))
    assert _entries(committed) == _entries(fresh) == _entries(po), "stale .mo: run `python -m anju.core.i18n compile`"
    assert committed.metadata.get("Plural-Forms") == po.metadata.get("Plural-Forms")


def test_django_serves_every_zh_hans_entry(zh_po: polib.POFile):
    """What Django loads (LOCALE_PATHS wins over Django's own catalogues) is exactly the .po."""
    wrong = []
    with translation.override("zh-hans"):
        for entry in zh_po:
            expected = entry.msgstr_plural[0] if entry.msgid_plural else entry.msgstr
            for n in (1, 2) if entry.msgid_plural else (1,):
                if _served(entry, n) != expected:
                    wrong.append((entry.msgctxt, entry.msgid, n, _served(entry, n)))
    assert wrong == []


def test_glossary_terms(zh_po: polib.POFile):
    actual = {e.msgid: e.msgstr for e in zh_po if not e.msgctxt and not e.msgid_plural}
    assert {msgid: actual.get(msgid) for msgid in GLOSSARY} == GLOSSARY
    with translation.override("zh-hans"):
        assert pgettext("person", "Name") == "姓名"
        assert gettext("Name") == "名称"


def test_every_placeholder_message_formats(zh_po: polib.POFile):
    """Each python-format message, as Django returns it in each language, takes its sample values."""
    formatted = 0
    for language in ("zh-hans", "en"):
        with translation.override(language):
            for entry in zh_po:
                names = NAMED.findall(entry.msgid + entry.msgid_plural)
                if "python-format" not in entry.flags and not names:
                    continue
                sample = {name: (7 if kind == "d" else f"«{name}»") for name, kind in names}
                for n in (1, 2) if entry.msgid_plural else (1,):
                    text = _served(entry, n)
                    result = text % sample  # raises KeyError / TypeError / ValueError on a broken placeholder
                    for name in sample:
                        assert str(sample[name]) in result, (language, entry.msgid, result)
                    assert "%(" not in result, (language, entry.msgid, result)
                    formatted += 1
    assert formatted >= 2 * 10  # the check did run over the catalogue's placeholder messages


@pytest.mark.django_db
def test_login_page_is_chinese_by_default():
    response = Client().get(LOGIN)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'lang="zh-Hans"' in html
    assert "登录" in html
    assert "长辈模式" in html
    assert "Sign in" not in html
    assert response["Content-Language"] == "zh-hans"


@pytest.mark.django_db
def test_login_page_is_english_with_the_language_cookie():
    client = Client()
    client.cookies["anju_language"] = "en"
    response = client.get(LOGIN)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'lang="en"' in html
    assert "Sign in" in html
    assert "Large text" in html
    assert "登录" not in html


@pytest.mark.django_db
def test_validation_error_is_in_chinese():
    """A failed sign-in answers in the reader's language (placeholders and all)."""
    response = Client().post(LOGIN, {"username": "nobody", "password": "wrong-password-1"})
    html = response.content.decode()
    assert "用户名、手机号或密码不正确。" in html
