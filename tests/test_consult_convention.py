"""The residents' convention (公约): the lifecycle and the rules that guard it (no amendment to a version in
force, no adoption without quorum or with an undecided amendment, comments only during public comment), the
article-level diff of a revision, acknowledgement (once per household, online or on paper) and its coverage by
building and area, scoping (404 across communities) and bad input through the API (a clear error, nothing
written)."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from anju.audit.models import AuditEvent
from anju.consult.convention import selectors, services
from anju.consult.models import (
    AckMethod,
    Acknowledgement,
    AdoptionMethod,
    Amendment,
    Article,
    ArticleComment,
    ConventionVersion,
    VersionStatus,
)
from anju.pairing import services as pairing
from anju.testing import api_client, make_user
from anju.testing.convention import ConventionWorld, adopted, draft, in_comment, in_force, make_convention_world
from anju.testing.pairing import add_household

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


@pytest.fixture
def cw() -> ConventionWorld:
    return make_convention_world()


def _audits(action: str) -> int:
    return AuditEvent.objects.filter(action=action).count()


# --- lifecycle ----------------------------------------------------------------------------------


def test_lifecycle_from_draft_to_in_force_writes_an_audit_row_for_every_decision(cw: ConventionWorld) -> None:
    worker = cw.worker
    version = draft(cw.community, actor=worker)
    assert version.status == VersionStatus.DRAFT
    services.article_save(actor=worker, version=version, title="消防安全", body="楼道不停放电动车，不私拉电线充电。")
    version = services.comment_open(actor=worker, version=version, until=timezone.localdate() + dt.timedelta(days=7))
    article = version.articles.get(number=1)
    services.comment_add(actor=cw.resident, article=article, body="建议增加垃圾分类的时间")
    helper = make_user("volunteer", cw.people.tree.area)
    pairing.central_designate(
        actor=None, household=cw.households[0], member=cw.people.residents[0], area=cw.people.tree.area, carrier=helper
    )
    pairing.pairing_set(actor=None, household=cw.households[1], central=cw.households[0].central)
    assisted = services.comment_add(actor=helper, article=article, body="王大爷说同意", household=cw.households[1])
    assert assisted.assisted
    assert assisted.household_id == cw.households[1].pk
    change = services.amendment_propose(
        actor=cw.resident,
        version=version,
        kind="change",
        article=article,
        title="爱护环境",
        body="不乱扔垃圾，每天早八点至晚八点分类投放。",
        rationale="写清投放时间",
    )
    assert change.by_resident
    add = services.amendment_propose(
        actor=worker,
        version=version,
        kind="add",
        title="停车有序",
        body="车辆停入划线车位。",
        rationale="大家反映停车乱",
    )
    assert not add.by_resident
    version = services.comment_close(actor=worker, version=version)
    services.amendment_decide(actor=cw.secretary, amendment=change, accept=True, reason="采纳，写明时间便于执行")
    services.amendment_decide(actor=cw.secretary, amendment=add, accept=False, reason="停车另有专门规定")
    assert Article.objects.get(version=version, number=1).body == "不乱扔垃圾，每天早八点至晚八点分类投放。"
    assert version.articles.count() == 4
    version = services.version_adopt(
        actor=cw.secretary,
        version=version,
        method=AdoptionMethod.HOUSEHOLD_VOTE,
        decided_on=timezone.localdate(),
        present=2,
        in_favour=2,
    )
    assert (version.status, version.eligible, version.present) == (VersionStatus.ADOPTED, 2, 2)
    assert "more than half" in version.quorum_rule
    version = services.version_enact(actor=cw.secretary, version=version)
    assert version.status == VersionStatus.IN_FORCE
    assert version.in_force_from == timezone.localdate()
    for action in (
        "convention.created",
        "convention.article_added",
        "convention.comment_opened",
        "convention.commented",
        "convention.amendment_proposed",
        "convention.comment_closed",
        "convention.amendment_decided",
        "convention.adopted",
        "convention.enacted",
    ):
        assert _audits(action) >= 1, action
    assert _audits("convention.amendment_decided") == 2


def test_no_adoption_without_quorum_or_majority_and_nothing_written(cw: ConventionWorld) -> None:
    version = services.comment_close(actor=cw.worker, version=in_comment(cw.community, actor=cw.worker))
    before = _audits("convention.adopted")
    kwargs = {
        "actor": cw.worker,
        "version": version,
        "method": AdoptionMethod.MEETING,
        "decided_on": timezone.localdate(),
    }
    with pytest.raises(ValidationError, match="No quorum: 15 of 30 took part"):
        services.version_adopt(**kwargs, eligible=30, present=15, in_favour=15)
    with pytest.raises(ValidationError, match="Not adopted: 10 of 20 in favour"):
        services.version_adopt(**kwargs, eligible=30, present=20, in_favour=10)
    with pytest.raises(ValidationError, match="add up"):
        services.version_adopt(**kwargs, eligible=30, present=20, in_favour=15, against=10)
    # A household vote counts those entitled itself: the community's 2 lived-in households; 1 is no quorum.
    with pytest.raises(ValidationError, match="No quorum: 1 of 2"):
        services.version_adopt(
            **{**kwargs, "method": AdoptionMethod.HOUSEHOLD_VOTE}, eligible=1, present=1, in_favour=1
        )
    version.refresh_from_db()
    assert version.status == VersionStatus.AMENDMENT
    assert not version.adoption_method
    assert _audits("convention.adopted") == before


def test_no_adoption_with_an_undecided_amendment_nor_straight_from_comment(cw: ConventionWorld) -> None:
    version = in_comment(cw.community, actor=cw.worker)
    with pytest.raises(ValidationError, match="Close the public comment"):
        services.version_adopt(
            actor=cw.worker,
            version=version,
            method="meeting",
            decided_on=timezone.localdate(),
            eligible=3,
            present=3,
            in_favour=3,
        )
    services.amendment_propose(
        actor=cw.resident, version=version, kind="remove", article=version.articles.first(), rationale="重复"
    )
    version = services.comment_close(actor=cw.worker, version=version)
    with pytest.raises(ValidationError, match="Decide every proposed amendment"):
        services.version_adopt(
            actor=cw.worker,
            version=version,
            method="meeting",
            decided_on=timezone.localdate(),
            eligible=3,
            present=3,
            in_favour=3,
        )


def test_no_amendment_to_a_version_in_force_revise_instead(cw: ConventionWorld) -> None:
    version = in_force(cw.community, actor=cw.worker)
    article = version.articles.first()
    with pytest.raises(ValidationError, match="revise the convention as a new version"):
        services.amendment_propose(
            actor=cw.resident,
            version=version,
            kind="change",
            article=article,
            title="改",
            body="改了",
            rationale="想改",
        )
    with pytest.raises(ValidationError, match="revise the convention as a new version"):
        services.article_save(actor=cw.worker, version=version, title="改", body="改了", article=article)
    assert Amendment.objects.count() == 0
    assert Article.objects.get(pk=article.pk).title == article.title


def test_comments_only_during_public_comment_and_only_from_the_community(cw: ConventionWorld) -> None:
    version = draft(cw.community, actor=cw.worker)
    article = version.articles.first()
    with pytest.raises(ValidationError, match="public comment period"):
        services.comment_add(actor=cw.resident, article=article, body="意见")
    services.comment_open(actor=cw.worker, version=version, until=timezone.localdate() + dt.timedelta(days=1))
    with pytest.raises(ValidationError, match="community"):
        services.comment_add(actor=cw.other_resident, article=article, body="意见")
    ConventionVersion.objects.filter(pk=version.pk).update(comment_until=timezone.localdate() - dt.timedelta(days=1))
    with pytest.raises(ValidationError, match="public comment period"):
        services.comment_add(actor=cw.resident, article=article, body="意见")
    assert ArticleComment.objects.count() == 0


def test_enacting_a_revision_supersedes_the_old_version(cw: ConventionWorld) -> None:
    v1 = in_force(cw.community, actor=cw.worker)
    with pytest.raises(ValidationError, match="Only a convention in force"):
        services.convention_revise(actor=cw.worker, convention=draft(cw.community).convention)
    v2 = services.convention_revise(actor=cw.worker, convention=v1.convention, change_note="增加消防条款")
    with pytest.raises(ValidationError, match="in progress already"):
        services.convention_revise(actor=cw.worker, convention=v1.convention)
    assert (v2.number, v2.previous_id, v2.status) == (2, v1.pk, VersionStatus.DRAFT)
    v2 = services.version_enact(actor=cw.worker, version=adopted(v2, actor=cw.worker))
    v1.refresh_from_db()
    assert v1.status == VersionStatus.SUPERSEDED
    assert v1.superseded_on == timezone.localdate()
    assert ConventionVersion.objects.filter(convention=v1.convention, status=VersionStatus.IN_FORCE).get() == v2


# --- diff ---------------------------------------------------------------------------------------


def test_revision_diff_is_article_by_article(cw: ConventionWorld) -> None:
    v1 = in_force(cw.community, actor=cw.worker)
    v2 = services.convention_revise(actor=cw.worker, convention=v1.convention)
    _first, second, third = v2.articles.order_by("number")
    services.article_save(
        actor=cw.worker, version=v2, article=third, title="文明养犬", body="遛狗牵绳，及时清理粪便，办理犬证。"
    )
    services.article_remove(actor=cw.worker, version=v2, article=second)
    services.article_save(actor=cw.worker, version=v2, title="消防安全", body="楼道不停放电动车。", position=1)
    rows = selectors.diff(v1, v2)
    assert [(r.change, r.old.number if r.old else None, r.new.number if r.new else None) for r in rows] == [
        ("added", None, 1),
        ("same", 1, 2),
        ("removed", 2, None),
        ("changed", 3, 3),
    ]
    assert rows[1].renumbered
    assert not rows[1].title_changed
    assert ("added", "办理犬证") in [(op, t) for op, t in rows[3].runs] or any(
        op == "added" and "犬证" in t for op, t in rows[3].runs
    )
    assert selectors.diff_counts(rows) == {"added": 1, "removed": 1, "changed": 1, "same": 1}
    body = api_client(cw.resident).get(f"/api/v1/consult/conventions/versions/{v2.pk}/diff")
    assert body.status_code == 404  # a draft is for staff
    data = api_client(cw.worker).get(f"/api/v1/consult/conventions/versions/{v2.pk}/diff").json()
    assert data["counts"] == {"added": 1, "removed": 1, "changed": 1, "same": 1}
    assert [a["change"] for a in data["articles"]] == ["added", "same", "removed", "changed"]


# --- acknowledgement ----------------------------------------------------------------------------


def test_acknowledgement_once_per_household_online_or_on_paper(cw: ConventionWorld) -> None:
    version = in_force(cw.community, actor=cw.worker)
    ack = services.acknowledge(actor=cw.resident, version=version)
    assert (ack.household_id, ack.method) == (cw.households[0].pk, AckMethod.ONLINE)
    with pytest.raises(ValidationError, match="acknowledged this version already"):
        services.acknowledge(actor=cw.resident, version=version)
    with pytest.raises(ValidationError, match="acknowledged this version already"):
        services.acknowledge(actor=cw.worker, version=version, household=cw.households[0], method="paper_worker")
    # On paper: by the worker, for the other household; not for another community's household.
    with pytest.raises(ValidationError, match="household"):
        services.acknowledge(actor=cw.worker, version=version, household=cw.households[2], method="paper_worker")
    # A volunteer not serving the household records nothing.
    stranger = make_user("volunteer", cw.people.tree.area)
    with pytest.raises(ValidationError, match="central household serves"):
        services.acknowledge(actor=stranger, version=version, household=cw.households[1], method="paper_central")
    services.acknowledge(actor=cw.worker, version=version, household=cw.households[1], method="paper_worker")
    assert Acknowledgement.objects.filter(version=version).count() == 2
    assert _audits("convention.acknowledged") == 2
    # Only the version in force.
    v2 = services.convention_revise(actor=cw.worker, convention=version.convention)
    with pytest.raises(ValidationError, match="Only the version in force"):
        services.acknowledge(actor=cw.neighbour, version=v2)


def test_central_household_records_a_paper_acknowledgement(cw: ConventionWorld) -> None:
    version = in_force(cw.community, actor=cw.worker)
    volunteer = make_user("volunteer", cw.people.tree.area)
    central = pairing.central_designate(
        actor=None,
        household=cw.households[0],
        member=cw.people.residents[0],
        area=cw.people.tree.area,
        carrier=volunteer,
    )
    pairing.pairing_set(actor=None, household=cw.households[1], central=central)
    response = api_client(volunteer).post(
        f"/api/v1/consult/conventions/versions/{version.pk}/acknowledgements",
        json.dumps({"method": "paper_central", "household_id": cw.households[1].pk}),
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    assert Acknowledgement.objects.get().recorded_by == volunteer


def test_coverage_by_building_and_area_and_the_list_for_visits(cw: ConventionWorld) -> None:
    tree = cw.people.tree
    more = [add_household(tree.building, f"{n}01") for n in range(2, 5)]  # building 1: 4 households in all
    version = in_force(cw.community, actor=cw.worker)
    services.acknowledge(actor=cw.resident, version=version)  # building 1
    services.acknowledge(actor=cw.worker, version=version, household=more[0], method="paper_worker")  # building 1
    cov = selectors.coverage_of(version)
    assert (cov.total, cov.acknowledged, cov.percent) == (5, 2, 40)
    by_building = {r.unit.name: (r.households, r.acknowledged) for r in cov.buildings}
    assert by_building == {"1栋": (4, 2), "2栋": (1, 0)}
    by_area = {r.unit.name: (r.households, r.acknowledged, r.percent) for r in cov.areas}
    assert by_area == {"原种场片区": (5, 2, 40), "第1网格": (4, 2, 50), "第2网格": (1, 0, 0)}
    missing = list(selectors.not_acknowledged(version))
    assert {h.pk for h in missing} == {more[1].pk, more[2].pk, cw.households[1].pk}
    data = api_client(cw.worker).get(f"/api/v1/consult/conventions/versions/{version.pk}/coverage").json()
    assert (data["households"], data["acknowledged"], data["percent"]) == (5, 2, 40)
    assert len(data["not_acknowledged"]) == 3


# --- scoping and bad input through the API ------------------------------------------------------


def test_another_communitys_convention_answers_404(cw: ConventionWorld) -> None:
    version = in_force(cw.community, actor=cw.worker)
    article = version.articles.first()
    outsiders = [cw.other_worker, cw.other_resident]
    for user in outsiders:
        client = api_client(user)
        for url in ("", "/comments", "/amendments", "/diff", "/coverage"):
            assert client.get(f"/api/v1/consult/conventions/versions/{version.pk}{url}").status_code in (403, 404)
        response = client.post(
            f"/api/v1/consult/conventions/versions/{version.pk}/acknowledgements", "{}", content_type="application/json"
        )
        assert response.status_code == 404
        response = client.post(
            f"/api/v1/consult/conventions/versions/{version.pk}/comments",
            json.dumps({"article_id": article.pk, "body": "x"}),
            content_type="application/json",
        )
        assert response.status_code == 404
        assert client.get("/api/v1/consult/conventions").json() == []
    assert Acknowledgement.objects.count() == 0
    assert ArticleComment.objects.count() == 0


def test_drafts_are_for_staff_only(cw: ConventionWorld) -> None:
    version = draft(cw.community, actor=cw.worker)
    assert api_client(cw.resident).get(f"/api/v1/consult/conventions/versions/{version.pk}").status_code == 404
    assert api_client(cw.worker).get(f"/api/v1/consult/conventions/versions/{version.pk}").status_code == 200


@pytest.mark.parametrize(
    ("path", "body", "message"),
    [
        ("/amendments", {"kind": "change", "rationale": "想改", "title": "改", "body": "改"}, "new version"),
        ("/acknowledgements", {}, "already"),
        ("/comments", {"body": "意见"}, "public comment"),
        ("/adoption", {"method": "meeting", "eligible": 10, "present": 3, "in_favour": 3}, None),
        ("/steps", {"step": "fly"}, "open_comment"),
    ],
)
def test_bad_input_answers_422_in_the_users_language_and_writes_nothing(
    cw: ConventionWorld, path: str, body: dict[str, object], message: str | None
) -> None:
    version = in_force(cw.community, actor=cw.worker)
    services.acknowledge(actor=cw.resident, version=version)
    article = version.articles.first()
    if "kind" in body or path == "/comments":
        body = {**body, "article_id": article.pk}
    client = api_client(cw.worker if path in ("/adoption", "/steps") else cw.resident)
    before = (AuditEvent.objects.count(), Amendment.objects.count(), ArticleComment.objects.count())
    response = client.post(
        f"/api/v1/consult/conventions/versions/{version.pk}{path}", json.dumps(body), content_type="application/json"
    )
    assert response.status_code == 422, response.content
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    if message:
        assert message in json.dumps(error, ensure_ascii=False)
    assert (AuditEvent.objects.count(), Amendment.objects.count(), ArticleComment.objects.count()) == before


def test_errors_come_in_chinese_for_a_chinese_reader(cw: ConventionWorld) -> None:
    version = in_force(cw.community, actor=cw.worker)
    client = api_client(cw.resident)
    client.cookies["anju_language"] = "zh-hans"
    article = version.articles.first()
    response = client.post(
        f"/api/v1/consult/conventions/versions/{version.pk}/amendments",
        json.dumps({"kind": "change", "article_id": article.pk, "title": "改", "body": "改", "rationale": "想改"}),
        content_type="application/json",
    )
    assert response.status_code == 422
    assert "新版本" in json.dumps(response.json(), ensure_ascii=False)


def test_lifecycle_through_the_api(cw: ConventionWorld) -> None:
    staff = api_client(cw.worker)
    created = staff.post(
        "/api/v1/consult/conventions",
        json.dumps(
            {
                "community_id": cw.community.pk,
                "title": "安居公约",
                "articles": [{"title": "爱护环境", "body": "不乱扔垃圾。"}],
            }
        ),
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    vid = created.json()["id"]
    base = f"/api/v1/consult/conventions/versions/{vid}"
    until = (timezone.localdate() + dt.timedelta(days=7)).isoformat()
    assert (
        staff.post(
            f"{base}/steps", json.dumps({"step": "open_comment", "until": until}), content_type="application/json"
        ).status_code
        == 200
    )
    article_id = created.json()["articles"][0]["id"]
    comment = api_client(cw.resident).post(
        f"{base}/comments",
        json.dumps({"article_id": article_id, "body": "电话13912345678联系我"}),
        content_type="application/json",
    )
    assert comment.status_code == 201
    assert "13912345678" not in comment.content.decode()
    proposed = api_client(cw.neighbour).post(
        f"{base}/amendments",
        json.dumps(
            {
                "kind": "change",
                "article_id": article_id,
                "title": "爱护环境",
                "body": "不乱扔垃圾，分类投放。",
                "rationale": "加上分类",
            }
        ),
        content_type="application/json",
    )
    assert proposed.status_code == 201
    assert (
        staff.post(f"{base}/steps", json.dumps({"step": "close_comment"}), content_type="application/json").status_code
        == 200
    )
    decided = staff.post(
        f"/api/v1/consult/conventions/amendments/{proposed.json()['id']}/decision",
        json.dumps({"accept": True, "reason": "采纳"}),
        content_type="application/json",
    )
    assert decided.json()["status"] == "accepted"
    adopted_ = staff.post(
        f"{base}/adoption",
        json.dumps(
            {
                "method": "meeting",
                "decided_on": timezone.localdate().isoformat(),
                "eligible": 30,
                "present": 20,
                "in_favour": 18,
            }
        ),
        content_type="application/json",
    )
    assert adopted_.status_code == 200
    assert adopted_.json()["adoption"]["present"] == 20
    enacted = staff.post(f"{base}/steps", json.dumps({"step": "enact"}), content_type="application/json")
    assert enacted.json()["status"] == "in_force"
    assert enacted.json()["articles"][0]["body"] == "不乱扔垃圾，分类投放。"
    ack = api_client(cw.resident).post(f"{base}/acknowledgements", "{}", content_type="application/json")
    assert ack.status_code == 201
    assert api_client(cw.resident).get(base).json()["acknowledged"] is True
    revised = staff.post(
        f"/api/v1/consult/conventions/{created.json()['convention_id']}/revisions",
        "{}",
        content_type="application/json",
    )
    assert revised.status_code == 201
    assert revised.json()["number"] == 2
