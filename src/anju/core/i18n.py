"""Translation catalogue tools: ``python -m anju.core.i18n check|compile``.

``check`` fails when a zh-Hans entry is untranslated or fuzzy, or when a
translation's placeholders differ from its source; ``compile`` writes the
.mo files (pure Python, so no gettext install is needed to run Anju).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import polib

LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]|%[sd]|\{\w*\}")


def catalogues() -> list[Path]:
    return sorted(LOCALE_DIR.glob("*/LC_MESSAGES/*.po"))


def _placeholders(text: str) -> list[str]:
    return sorted(m.group(0) for m in PLACEHOLDER.finditer(text))


def problems(path: Path) -> list[str]:
    po = polib.pofile(str(path))
    found = []
    for entry in po:
        if entry.obsolete:
            continue
        where = f"{path.name}: {entry.msgid[:60]!r}"
        if "fuzzy" in entry.flags:
            found.append(f"{where} is fuzzy")
        if entry.msgid_plural:
            forms = [v for _k, v in sorted(entry.msgstr_plural.items())]
            if not forms or not all(forms):
                found.append(f"{where} has an untranslated plural")
                continue
            for form in forms:
                if _placeholders(form) != _placeholders(entry.msgid_plural) and _placeholders(form) != _placeholders(
                    entry.msgid
                ):
                    found.append(f"{where} has placeholders {_placeholders(form)} in a plural form")
        else:
            if not entry.msgstr:
                found.append(f"{where} is untranslated")
            elif _placeholders(entry.msgstr) != _placeholders(entry.msgid):
                found.append(f"{where}: placeholders {_placeholders(entry.msgstr)} ≠ {_placeholders(entry.msgid)}")
    return found


def compile_all() -> list[Path]:
    written = []
    for path in catalogues():
        mo = path.with_suffix(".mo")
        polib.pofile(str(path)).save_as_mofile(str(mo))
        written.append(mo)
    return written


def main(argv: list[str]) -> int:
    command = argv[0] if argv else "check"
    if command == "compile":
        for mo in compile_all():
            print(f"wrote {mo.relative_to(LOCALE_DIR.parent)}")
        return 0
    if command == "check":
        issues = [p for path in catalogues() for p in problems(path)]
        for issue in issues:
            print(issue)
        if not catalogues():
            print("no catalogues found")
            return 1
        print(f"{len(issues)} problem(s) in {len(catalogues())} catalogue(s)")
        return 1 if issues else 0
    print("usage: python -m anju.core.i18n check|compile")
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
