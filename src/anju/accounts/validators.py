"""Password rules beyond Django's: passwords common among Chinese users."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

# Widely reported leaked-password favourites in China (pinyin, dates, keyboard runs).
COMMON = frozenset(
    """
    woaini1314 woaini520 5201314 520131400 1314520 woaini123 aini1314 iloveyou1314 qq123456
    qq5201314 abc123456 a123456789 a12345678 aa123456 zhang123456 wang123456 li123456 liu123456
    chen123456 zhangwei123 wangwei123 123456abc 123qweasd qweasdzxc 1qaz2wsx 1q2w3e4r5t 88888888
    666666666 147258369 159357258 321654987 qazwsxedc admin123456 password123 anju123456 anju2026
    shequ123456 dangyuan123 huanggang123
    """.split()
)


class CommonChinesePasswordValidator:
    def validate(self, password: str, user: Any = None) -> None:
        if password.strip().lower() in COMMON:
            raise ValidationError(_("This password is too common."), code="password_too_common")

    def get_help_text(self) -> str:
        return _("Your password can't be a commonly used password.")
