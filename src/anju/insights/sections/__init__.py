"""The sections of the dashboard and the annual report, one module each. A new domain adds its section as
one small module here (a :class:`~anju.insights.sections.base.Section` subclass and ``register(...)``) and one
import line below; the pages, the API, the Excel workbook and the report show every registered section."""

from __future__ import annotations

from anju.insights.sections.base import Section

_SECTIONS: dict[str, Section] = {}


def register(section: Section) -> Section:
    if section.key in _SECTIONS and type(_SECTIONS[section.key]) is not type(section):
        raise ValueError(f"section {section.key!r} registered twice")
    _SECTIONS[section.key] = section
    return section


def sections() -> list[Section]:
    return sorted(_SECTIONS.values(), key=lambda s: (s.order, s.key))


def get(key: str) -> Section | None:
    return _SECTIONS.get(key)


def load() -> None:
    """Import the built-in sections (from ``AppConfig.ready``)."""
    from anju.insights.sections import activities, appeals, consult, duty, pairing, registry, spaces  # noqa: F401
