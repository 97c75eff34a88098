"""``core.text.number_text`` writes every int and float as Django's ``localize`` does, in every language and with
digit grouping on or off: the three-rate page's tables use it for some 750 numbers a page."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import override_settings
from django.utils import translation
from django.utils.formats import localize
from hypothesis import given, settings
from hypothesis import strategies as st

from anju.core.text import number_text

NUMBERS = st.one_of(
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True),
    st.floats(min_value=0, max_value=100).map(lambda x: round(x, 1)),  # the rates as the page has them
)


# "de" writes a decimal comma: the separator is the language's, not assumed.
@pytest.mark.parametrize("language", ["zh-hans", "en", "de"])
@pytest.mark.parametrize("grouping", [False, True])
@settings(max_examples=300, deadline=None)
@given(value=NUMBERS)
def test_a_number_is_written_as_localize_writes_it(language: str, grouping: bool, value: float) -> None:
    with translation.override(language), override_settings(USE_THOUSAND_SEPARATOR=grouping):
        assert number_text(value) == str(localize(value))


def test_the_separator_is_the_languages_and_other_types_go_through_localize() -> None:
    with translation.override("de"):
        assert number_text(87.5) == "87,5"
        assert number_text(Decimal("1.50")) == str(localize(Decimal("1.50")))
        assert number_text(True) == str(localize(True))
    with translation.override("zh-hans"):
        assert number_text(87.5) == "87.5"
        assert number_text(1234567) == "1234567"
