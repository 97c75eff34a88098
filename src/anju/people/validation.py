"""Checking and normalising what people type: names, ID numbers, mobile numbers, dates.

Every function either returns the normalised value or raises :class:`Invalid`
with a message in the user's language; the services and the Excel import turn
that into a field or a cell error. What is normalised (rather than refused) is
listed in the package docstring (``anju.people``).
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime

from django.utils import timezone
from django.utils.translation import gettext as _
from pypinyin import lazy_pinyin

from anju.core.masking import is_valid_mainland_mobile, normalise_mobile


class Invalid(ValueError):
    """A value a person typed that cannot be accepted; ``str()`` is the reason."""


# GB 11643-1999: weights of the first 17 digits, and the check character per remainder.
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"
# First two digits: the province-level division (GB/T 2260), plus Taiwan, Hong Kong and Macao.
PROVINCE_CODES = frozenset(
    "11 12 13 14 15 21 22 23 31 32 33 34 35 36 37 41 42 43 44 45 46 50 51 52 53 54 61 62 63 64 65 71 81 82 83".split()
)
OLDEST_BIRTH = date(1900, 1, 1)
NAME_MAX = 50
# Middle dots people type in minority and foreign names, all stored as U+00B7.
_DOTS = "·•・‧∙⋅．.。"
_NAME_OK = re.compile(r"^[\u3400-\u9fff\uf900-\ufaffA-Za-z·\u00b7 ]+$")


def _nfkc(raw: object) -> str:
    return unicodedata.normalize("NFKC", str(raw or "")).strip()


def clean_name(raw: object) -> str:
    """Trim, fold full-width forms (NFKC), drop spaces between Chinese characters,
    unify middle dots. Traditional characters are kept as typed."""
    text = _nfkc(raw)
    for dot in _DOTS:
        text = text.replace(dot, "·")
    text = re.sub(r"\s+", " ", text)
    if not re.search(r"[A-Za-z]", text):
        text = text.replace(" ", "")
    if not text:
        raise Invalid(_("Enter the name."))
    if len(text) > NAME_MAX:
        raise Invalid(_("A name has at most %(n)d characters.") % {"n": NAME_MAX})
    if not _NAME_OK.match(text) or text.startswith("·") or text.endswith("·"):
        raise Invalid(_("A name may only contain Chinese characters, Latin letters, spaces and a middle dot (·)."))
    return text


def name_keys(name: str) -> tuple[str, str]:
    """(full pinyin, initials) in lower case, for search: 张三 → ("zhangsan", "zs")."""
    syllables = [s for s in lazy_pinyin(name, errors="ignore") if s.isascii() and s.isalpha()]
    full = "".join(syllables).lower()
    initials = "".join(s[0] for s in syllables).lower()
    return full[:200], initials[:50]


def id_check_char(first17: str) -> str:
    return ID_CHECK[sum(int(d) * w for d, w in zip(first17, ID_WEIGHTS, strict=True)) % 11]


def clean_id_number(raw: object, *, today: date | None = None) -> tuple[str, date, str]:
    """A mainland resident ID number (居民身份证号, GB 11643) →
    (normalised number, birth date, gender "M"/"F").

    Spaces and full-width digits are folded, a lower-case ``x`` becomes ``X``.
    """
    text = re.sub(r"\s+", "", _nfkc(raw)).upper()
    if not text:
        raise Invalid(_("Enter the ID number."))
    if len(text) != 18:
        raise Invalid(_("An ID number has 18 characters; this one has %(n)d.") % {"n": len(text)})
    if not text[:17].isdigit() or not (text[17].isdigit() or text[17] == "X"):
        raise Invalid(_("An ID number is 17 digits followed by a digit or X."))
    if text[:2] not in PROVINCE_CODES:
        raise Invalid(_("The ID number does not start with a valid region code."))
    try:
        born = date(int(text[6:10]), int(text[10:12]), int(text[12:14]))
    except ValueError as exc:
        raise Invalid(_("The birth date inside the ID number is not a real date.")) from exc
    today = today or timezone.localdate()
    if born < OLDEST_BIRTH or born > today:
        raise Invalid(_("The birth date inside the ID number is not plausible."))
    if id_check_char(text[:17]) != text[17]:
        raise Invalid(_("The check digit of the ID number is wrong: check it was copied correctly."))
    gender = "M" if int(text[16]) % 2 == 1 else "F"
    return text, born, gender


def parse_mobile(raw: object) -> str:
    """A resident's optional mobile as typed or imported: blank gives ``""``; spaces, dashes, full-width
    digits and a +86/0086 prefix are removed; anything else raises :class:`Invalid` (one cell's error).
    Accounts require theirs: :func:`anju.accounts.services.validate_account_mobile`."""
    text = _nfkc(raw)
    if not text:
        return ""
    compact = text.replace(" ", "").replace("-", "")
    foreign = compact.startswith("+") and not compact.startswith("+86")
    digits = normalise_mobile(text)
    if foreign or not is_valid_mainland_mobile(digits):
        raise Invalid(_("Enter an 11-digit mainland mobile number, such as 13812345678."))
    return digits


DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y%m%d", "%Y年%m月%d日")


def clean_date(raw: object, *, today: date | None = None) -> date | None:
    """A date typed or stored in a cell: 1990-01-31, 1990/1/31, 1990.1.31, 19900131, 1990年1月31日,
    or a real Excel date. Empty gives ``None``."""
    if raw is None or raw == "":
        return None
    if isinstance(raw, datetime):
        value = raw.date()
    elif isinstance(raw, date):
        value = raw
    else:
        text = _nfkc(raw)
        if not text:
            return None
        for fmt in DATE_FORMATS:
            try:
                value = datetime.strptime(text, fmt).date()  # noqa: DTZ007  a calendar date, no time
                break
            except ValueError:
                continue
        else:
            raise Invalid(_("Write the date as YYYY-MM-DD, for example 1956-03-08."))
    today = today or timezone.localdate()
    if value < OLDEST_BIRTH or value > today:
        raise Invalid(_("The date is not plausible."))
    return value


GENDER_WORDS = {"男": "M", "m": "M", "male": "M", "女": "F", "f": "F", "female": "F"}
YES_WORDS = {"是", "y", "yes", "true", "1", "√", "✓"}
NO_WORDS = {"否", "n", "no", "false", "0", ""}


def clean_gender(raw: object) -> str:
    text = _nfkc(raw).lower()
    if not text:
        return ""
    try:
        return GENDER_WORDS[text]
    except KeyError as exc:
        raise Invalid(_("Write 男 or 女.")) from exc


def clean_yes_no(raw: object) -> bool:
    if isinstance(raw, bool):
        return raw
    text = _nfkc(raw).lower()
    if text in YES_WORDS:
        return True
    if text in NO_WORDS:
        return False
    raise Invalid(_("Write 是 or 否."))


def normalise_short(raw: object) -> str:
    """A short label (door number, entrance, household number): NFKC, trimmed, inner spaces collapsed."""
    return " ".join(_nfkc(raw).split())
