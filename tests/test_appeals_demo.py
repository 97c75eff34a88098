"""The demo appeals include followers (我也遇到) and their callbacks: the appeal page and the three rates
show them, and the rates' callback counts include the followers' answers."""

from __future__ import annotations

import pytest
from django.test import Client

from anju.accounts.models import User
from anju.appeals.models import Appeal, AppealFollower, Callback, Status
from anju.appeals.rates.selectors import rates
from anju.site.demo import load_demo

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


def test_demo_has_followers_and_their_callbacks() -> None:
    load_demo(log=lambda *args: None)
    assert AppealFollower.objects.count() >= 3
    follower_answers = Callback.objects.filter(is_follower=True)
    assert follower_answers.count() >= 2
    # Some answered by the follower on the page, some recorded by the worker on the phone.
    assert follower_answers.filter(recorded_by__username="worker").exists()
    assert follower_answers.exclude(recorded_by__username="worker").exists()
    # Followers are fictional neighbours, not demo logins, with numbers in the 170 block.
    for user in User.objects.filter(pk__in=AppealFollower.objects.values("user_id")):
        assert user.mobile.startswith("170")
        assert not user.username.startswith(("worker", "resident"))

    worker = User.objects.get(username="worker")
    c = Client()
    c.cookies["anju_language"] = "en"
    c.force_login(worker)
    answer = follower_answers.select_related("appeal").first()
    assert answer is not None
    page = c.get(f"/appeals/{answer.appeal_id}/").content.decode()
    assert 'data-callback="follower"' in page

    _rows, total = rates(worker)
    # Completed callbacks: every counted answer (the requester's; followers' where the community chose so) and
    # every closure without one.
    closed_without_answer = (
        Appeal.objects.filter(status=Status.CLOSED_UNRESOLVED)
        .exclude(pk__in=Callback.objects.filter(is_follower=False).values("appeal_id"))
        .count()
    )
    assert total.counts["completed"] == Callback.objects.filter(counted=True).count() + closed_without_answer
    assert total.counts["ratings"] == Callback.objects.filter(counted=True).count()
