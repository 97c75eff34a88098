"""One sheet layout for the registry's import template and its export, in the reader's language.

The import template and the export have the same columns in the same order (the importer's ``COLUMNS``), so
an exported sheet can be corrected and imported again. Headers are written in the user's language and
accepted in both; cell words (性别, 与户主关系, 是/否) likewise. The export adds the resident's number
(居民编号): a row carrying one updates that resident instead of registering a new one
(:mod:`anju.people.updates`), and a cell still masked (``*``) means "unchanged".
"""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from anju.people.models import Relation

RESIDENT_NUMBER = "resident_number"
MASK = "*"

# The English header of each column (the Chinese one is the importer's ``Column.header``).
HEADER_EN: dict[str, str] = {
    "name": "Name",
    "gender": "Gender",
    "birth_date": "Birth date",
    "id_number": "ID number",
    "mobile": "Mobile",
    "building": "Building",
    "entrance": "Entrance",
    "door": "Door",
    "household_number": "Household no.",
    "relation": "Relation to the head",
    "tags": "Tags",
    "is_party_member": "Party member",
    "party_branch": "Party branch",
    "is_central": "Central household",
    RESIDENT_NUMBER: "Resident no.",
}

# What each column takes, for the template's instructions sheet (说明), in the reader's language.
HELP: dict[str, Promise] = {
    "name": _("Full name as on the ID card."),
    "gender": _("男 or 女 (Male or Female); empty: taken from the ID number."),
    "birth_date": _("YYYY-MM-DD; empty: taken from the ID number."),
    "id_number": _("18 characters. Format the column as text so Excel keeps every digit."),
    "mobile": _("11 digits; spaces and +86 are removed."),
    "building": _("A building of the community, as named in the org tree."),
    "entrance": _("Entrance (单元), may be empty."),
    "door": _("Door number."),
    "household_number": _("Only when several households share one door: tells them apart."),
    "relation": _(
        "户主, 配偶, 子女, 父母, 孙子女, 祖父母, 兄弟姐妹, 儿媳, 女婿 or 其他 (or the English words of an export)."
    ),
    "tags": _("Tags of the community separated by 、 or a comma."),
    "is_party_member": _("是 or 否 (Yes or No)."),
    "party_branch": _("The party branch of a party member."),
    "is_central": _("是 (Yes) marks the household as a central household."),
    RESIDENT_NUMBER: _(
        "Filled in by an export: the row then updates that resident. Leave it empty for a new resident. "
        "A cell left masked (with *) keeps the registered value."
    ),
}

# The relation words an export writes, by language; the import accepts both (``people.models.RELATION_WORDS``).
RELATION_ZH: dict[str, str] = {
    Relation.HEAD: "户主",
    Relation.SPOUSE: "配偶",
    Relation.CHILD: "子女",
    Relation.PARENT: "父母",
    Relation.GRANDCHILD: "孙子女",
    Relation.GRANDPARENT: "祖父母",
    Relation.SIBLING: "兄弟姐妹",
    Relation.CHILD_IN_LAW: "儿媳",
    Relation.OTHER: "其他",
}


def chinese() -> bool:
    return (get_language() or "zh-hans").lower().startswith("zh")


def header(key: str, chinese_header: str) -> str:
    """The column's header in the active language."""
    return chinese_header if chinese() else HEADER_EN.get(key, chinese_header)


def key_of_english(text: str) -> str | None:
    """The column key of an English header (any case), or None."""
    wanted = text.strip().casefold()
    for key, english in HEADER_EN.items():
        if english.casefold() == wanted:
            return key
    return None


def yes_no(value: bool) -> str:
    if chinese():
        return "是" if value else "否"
    return "Yes" if value else "No"


def gender_word(code: str) -> str:
    if not code:
        return ""
    if chinese():
        return "男" if code == "M" else "女"
    return "Male" if code == "M" else "Female"


def relation_word(code: str) -> str:
    return RELATION_ZH.get(code, "") if chinese() else str(Relation(code).label) if code in Relation.values else ""


def sheet_names() -> tuple[str, str, str]:
    """(data, instructions, examples) sheet names; the data sheet keeps one name so either language imports."""
    if chinese():
        return "居民", "说明", "示例"
    return "居民", "Instructions", "Examples"


def is_masked(value: object) -> bool:
    return isinstance(value, str) and MASK in value
