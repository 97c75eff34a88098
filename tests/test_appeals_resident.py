"""The resident's side of appeals: her plain appeal page, adding information, the public progress lookup
(rate-limited, masked, the same answer for a wrong number and a wrong mobile) and the station-door poster."""

from __future__ import annotations

import polib
import pytest
from django.test import Client
from django.utils import translation

from anju.appeals.dispatch import services as dispatch
from anju.appeals.models import Appeal, AppealEvent, Category, Channel, IntakeCounter, Status
from anju.appeals.selectors import progress_line
from anju.audit.models import AuditEvent
from anju.core import i18n
from anju.testing import english_client
from anju.testing.appeals import AppealsWorld

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english", "media_root")]

MOBILE = "13912345678"


def anonymous_report(world: AppealsWorld) -> Appeal:
    return world.file(
        actor=None,
        channel=Channel.ANONYMOUS,
        location=world.tree.community,
        address="3栋门口",
        contact_name="李大爷",
        contact_mobile=MOBILE,
    )


def test_the_resident_sees_a_progress_line_and_only_her_actions(world: AppealsWorld) -> None:
    appeal = world.to_status(world.file(), "dispatched")
    page = english_client(world.resident).get(f"/appeals/{appeal.pk}/").content.decode()
    assert "data-resident-view" in page
    assert 'data-stop="department"' in page
    assert 'aria-current="step"' in page
    for internal in ("Deadlines", "Next step", "Whistle: departments summoned", "data-steps", "Print the work"):
        assert internal not in page, internal
    assert 'name="action" value="add_info"' in page
    assert 'data-step="callback"' not in page  # nothing to rate yet
    # The worker keeps the working page.
    staff = english_client(world.worker).get(f"/appeals/{appeal.pk}/").content.decode()
    assert "data-resident-view" not in staff
    assert "Deadlines" in staff


def test_progress_line_follows_the_status(world: AppealsWorld) -> None:
    appeal = world.file()
    states = [s.state for s in progress_line(appeal)]
    assert states == ["current", "todo", "todo", "todo", "todo"]  # received, waiting to be accepted
    world.to_status(appeal, "verified")
    line = progress_line(appeal)
    assert [s.state for s in line] == ["done", "done", "done", "current", "todo"]
    assert all(s.at is not None for s in line[:4])
    rejected = world.file(description="另一件事")
    dispatch.appeal_reject(actor=world.worker, appeal=rejected, reason="不属于受理范围")
    assert [s.key for s in progress_line(rejected)] == ["received", "closed"]


def test_she_adds_information_and_rates_the_answer(world: AppealsWorld) -> None:
    appeal = world.to_status(world.file(), "dispatched")
    me = english_client(world.resident)
    added = me.post(f"/appeals/{appeal.pk}/act/", {"action": "add_info", "note": "晚上七点后在家"})
    assert added.status_code == 302
    event = AppealEvent.objects.get(appeal=appeal, action="add_info")
    assert event.public
    assert AuditEvent.objects.filter(action="appeal.info_added").count() == 1
    assert Appeal.objects.get(pk=appeal.pk).status == Status.DISPATCHED
    empty = me.post(f"/appeals/{appeal.pk}/act/", {"action": "add_info", "note": " "})
    assert empty.status_code == 422
    # Another resident cannot add to it (as if it did not exist).
    other = english_client(world.other_resident).post(f"/appeals/{appeal.pk}/act/", {"action": "add_info", "note": "x"})
    assert other.status_code == 404
    appeal.refresh_from_db()
    world.to_status(appeal, "verified")
    page = me.get(f"/appeals/{appeal.pk}/").content.decode()
    assert 'data-step="callback"' in page
    answered = me.post(
        f"/appeals/{appeal.pk}/act/", {"action": "callback", "resolved": "no", "satisfaction": "unsatisfied"}
    )
    assert answered.status_code == 302
    assert Appeal.objects.get(pk=appeal.pk).status == Status.REOPENED


def test_the_progress_lookup_answers_with_the_status_and_dates_only(world: AppealsWorld) -> None:
    appeal = world.to_status(anonymous_report(world), "accepted")
    public = Client()
    public.cookies["anju_language"] = "en"
    found = public.post("/appeals/progress/", {"number": appeal.number, "mobile": MOBILE})
    assert found.status_code == 200
    page = found.content.decode()
    assert "data-progress-result" in page
    assert 'data-stop="accepted"' in page
    for private in ("李大爷", MOBILE, "3栋门口", "路灯不亮"):
        assert private not in page
    # A wrong mobile and a number that does not exist read the same.
    wrong_phone = public.post("/appeals/progress/", {"number": appeal.number, "mobile": "13900000000"})
    no_such = public.post("/appeals/progress/", {"number": "A09999999", "mobile": MOBILE})
    assert wrong_phone.status_code == no_such.status_code == 422
    assert "No appeal matches this number and mobile." in wrong_phone.content.decode()
    assert "No appeal matches this number and mobile." in no_such.content.decode()
    assert "data-progress-result" not in wrong_phone.content.decode()
    # The number typed without its A works too.
    assert public.post("/appeals/progress/", {"number": str(appeal.pk), "mobile": MOBILE}).status_code == 200


def test_the_progress_lookup_is_rate_limited(world: AppealsWorld, settings: object) -> None:
    settings.ANJU_APPEAL_LOOKUPS_PER_HOUR = 3  # type: ignore[attr-defined]
    appeal = anonymous_report(world)
    public = Client()
    for _ in range(3):
        public.post("/appeals/progress/", {"number": "A09999999", "mobile": MOBILE})
    limited = public.post("/appeals/progress/", {"number": appeal.number, "mobile": MOBILE})
    assert limited.status_code == 429
    assert "data-progress-result" not in limited.content.decode()
    assert all(len(c.key) == 64 for c in IntakeCounter.objects.all())  # keyed hashes, never the address


def test_login_page_links_the_public_report_and_the_lookup() -> None:
    page = Client().get("/accounts/login/").content.decode()
    assert 'href="/appeals/report/"' in page
    assert 'href="/appeals/progress/"' in page
    assert Client().get("/appeals/report/").status_code == 200


def test_the_poster_is_for_staff_and_carries_the_report_address(world: AppealsWorld) -> None:
    poster = english_client(world.worker).get("/appeals/report/poster/")
    assert poster.status_code == 200
    page = poster.content.decode()
    assert "data-poster" in page
    assert "<svg" in page
    assert "http://testserver/appeals/report/" in page
    assert world.worker.display_name not in page  # no "printed by" on a public poster
    assert english_client(world.resident).get("/appeals/report/poster/").status_code in (403, 404)


def test_seeded_categories_read_in_english_unless_the_community_renamed_them(world: AppealsWorld) -> None:
    lamp = Category.objects.get(code="street-lamp")
    assert lamp.label == "Broken street lamp"  # the module reads in English
    with translation.override("zh-hans"):
        assert lamp.label == "路灯损坏"
    appeal = world.file()
    page = english_client(world.resident).get(f"/appeals/{appeal.pk}/").content.decode()
    assert "Broken street lamp" in page
    Category.objects.filter(pk=lamp.pk).update(name="小区路灯")  # the community's own name: shown as typed
    lamp.refresh_from_db()
    assert lamp.label == "小区路灯"


def test_the_chinese_pages_never_say_open311() -> None:
    catalogue = i18n.LOCALE_DIR / "zh_Hans" / "LC_MESSAGES" / "django.po"
    for entry in polib.pofile(str(catalogue)):
        assert "Open311" not in entry.msgstr, entry.msgid
