"""An appeal's page reads only the lists beside it that hold something (``selectors.with_page_lists``: one
``EXISTS`` each on the appeal's own query). Most appeals have no photo, no assisting department, no whistle, no
escalation and no callback: before, their page spent a query on each of them."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from anju.appeals import selectors
from anju.appeals.dispatch import services as dispatch
from anju.appeals.models import Appeal, Status
from anju.appeals.policies import holds
from anju.appeals.whistles import services as whistles
from anju.testing import english_client
from anju.testing.appeals import AppealsWorld, upload

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english", "media_root")]

#: Each list of the page and the table of its own query.
TABLES = {
    "photos": "appeals_appealphoto",
    "assists": "appeals_appealassist",
    "summonses": "appeals_summons",
    "escalations": "appeals_escalation",
    "arrival_escalations": "appeals_summonsescalation",
    "callbacks": "appeals_callback",
    "followers": "appeals_appealfollower",
}


def _page(client: Any, appeal: Appeal) -> tuple[str, set[str]]:
    """The page's text and the lists it ran a query of its own for."""
    url = f"/appeals/{appeal.pk}/"
    client.get(url)  # the session and the reference data warmed
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    read = {
        name
        for name, table in TABLES.items()
        if any(
            q["sql"].startswith((f'SELECT "{table}".', f'SELECT 1 AS "a" FROM "{table}"'))  # noqa: S608  not SQL run
            for q in captured.captured_queries
        )
    }
    return response.content.decode(), read


def test_the_flags_cover_every_list_of_the_page() -> None:
    assert set(selectors.PAGE_LISTS) == set(TABLES)


def test_an_appeal_with_nothing_beside_it_reads_none_of_its_lists(world: AppealsWorld) -> None:
    worker = english_client(world.worker)
    _page_text, read = _page(worker, world.file())
    assert read == set()
    _page_text, read = _page(worker, world.to_status(world.file(), Status.VERIFIED))
    assert read == set()


def test_the_lists_that_hold_something_are_read_and_shown(world: AppealsWorld) -> None:
    appeal = world.file(photos=[upload()])
    helper = world.other_liaison.grants.get().department
    dispatch.appeal_dispatch(actor=world.worker, appeal=appeal, department=world.tree.department, assisting=[helper])
    whistles.whistle_blow(actor=world.worker, appeal=appeal, departments=[world.tree.department])
    page, read = _page(english_client(world.worker), appeal)
    assert read == {"photos", "assists", "summonses"}
    photo = appeal.photos.get()
    assert f'src="/appeals/{appeal.pk}/photos/{photo.pk}/"' in page
    assert f"assisting: {helper.name}" in page
    assert "Whistle: departments summoned" in page


def test_without_the_flags_every_list_is_asked(world: AppealsWorld) -> None:
    """An appeal read another way (a step's page answering an error) has no flags: every list is queried, as
    before, never wrongly left empty."""
    appeal = Appeal.objects.get(pk=world.file(photos=[upload()]).pk)
    assert all(holds(appeal, name) for name in TABLES)
    flagged = selectors.with_page_lists(Appeal.objects.all()).get(pk=appeal.pk)
    assert holds(flagged, "photos")
    assert not holds(flagged, "callbacks")
    assert list(selectors.summonses_for(flagged)) == []
