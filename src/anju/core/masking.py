"""Masking of personal data for display (DESIGN.md rule 3)."""

from __future__ import annotations


def mask_mobile(value: str) -> str:
    """``13812341234`` → ``138****1234``."""
    if not value:
        return ""
    if len(value) < 7:
        return "*" * len(value)
    return f"{value[:3]}{'*' * (len(value) - 7)}{value[-4:]}"


def mask_id_number(value: str) -> str:
    """``421102199001011234`` → ``4211**************``: only the province and city of the region code.

    The usual ``4211**********1234`` keeps the order code and the check digit; beside a birth date (which
    is the ID's middle) the GB 11643 check digit narrows the hidden region digits to about ten candidates,
    and with a guessed region code to one. With the birth digits, the order code and the check digit all
    hidden, a full birth date and the gender still leave 500 candidates even when the region is known.
    ``people.profiles`` decides, per role, which of this and the birth date is shown.
    """
    if not value:
        return ""
    if len(value) < 8:
        return "*" * len(value)
    return f"{value[:4]}{'*' * (len(value) - 4)}"


def mask_name(value: str) -> str:
    """``张三丰`` → ``张*丰``; ``张三`` → ``张*``."""
    if len(value) <= 1:
        return value
    if len(value) == 2:
        return value[0] + "*"
    return value[0] + "*" * (len(value) - 2) + value[-1]


def normalise_mobile(raw: str) -> str:
    """Strip spaces, dashes and a +86/0086 prefix; returns digits only."""
    digits = "".join(ch for ch in raw if ch.isdigit() or ch == "+")
    if digits.startswith("+86"):
        digits = digits[3:]
    elif digits.startswith("0086"):
        digits = digits[4:]
    return digits.replace("+", "")


def is_valid_mainland_mobile(value: str) -> bool:
    return len(value) == 11 and value.isdigit() and value[0] == "1" and value[1] in "3456789"


def mask_email(value: str) -> str:
    """``zhang.san@example.org`` → ``z***@example.org`` (the domain is kept: it says which provider)."""
    if not value:
        return ""
    local, at, domain = value.rpartition("@")
    if not at:
        return "*" * len(value)
    return f"{local[:1]}***@{domain}"


def mask_bank_card(value: str) -> str:
    """``6222021234567890123`` → ``6222***********0123`` (the issuer's first four and the last four)."""
    if not value:
        return ""
    if len(value) < 8:
        return "*" * len(value)
    return f"{value[:4]}{'*' * (len(value) - 8)}{value[-4:]}"


def mask_plate(value: str) -> str:
    """``鄂J·12345`` → ``鄂J·***45``; ``鄂JD12345`` → ``鄂J·****45`` (province and city letter kept)."""
    plain = value.replace("·", "")
    if len(plain) < 4:
        return "*" * len(plain)
    return f"{plain[:2]}·{'*' * (len(plain) - 4)}{plain[-2:]}"


def mask_digits(value: str) -> str:
    """Any other long number (a landline with its area code, an account): the first two and the last two."""
    if len(value) < 6:
        return "*" * len(value)
    return f"{value[:2]}{'*' * (len(value) - 4)}{value[-2:]}"
