"""An account's own details: email address (sealed, masked to others), language, email notices, the
"My account" page, the administrators' edit form and ``GET/PATCH /api/v1/me``."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import translation
from django.utils.translation import gettext, gettext_lazy

from anju.access.roles import Role
from anju.accounts import services
from anju.accounts.models import User
from anju.audit.actions import Action
from anju.audit.models import AuditEvent
from anju.core import pii
from anju.core.masking import mask_email
from anju.inbox import kinds, tasks
from anju.inbox.models import Message, Outbox
from anju.inbox.services import address_of, inbox_send
from anju.testing import Tree, make_user

ME = "/accounts/me/"
API_ME = "/api/v1/me"
pytestmark = pytest.mark.usefixtures("english")

BAD_EMAIL = "Enter a valid email address, such as name@example.com."
KIND = "tests.profile"
kinds.register(KIND, "Parcel {number} is waiting")
# "Inbox" has a translation in the compiled catalogue, so the language of a mail's subject shows.
kinds.register("tests.profile_translated", gettext_lazy("Inbox"))


@pytest.fixture
def resident(tree: Tree) -> User:
    return make_user(Role.RESIDENT, tree.building, username="wang.wu", mobile="13900001234")


@pytest.fixture
def neighbour(tree: Tree) -> User:
    return make_user(Role.RESIDENT, tree.building, username="zhao.liu")


@pytest.fixture
def admin(tree: Tree) -> User:
    return make_user(Role.ADMIN, tree.community, username="community.admin")


def english(client: Client) -> Client:
    client.cookies["anju_language"] = "en"
    return client


def audit_rows(user: User) -> Any:
    return AuditEvent.objects.filter(action=Action.ACCOUNT_UPDATED, object_id=str(user.pk))


def details(**overrides: Any) -> dict[str, Any]:
    data = {
        "form": "details",
        "display_name": "王五",
        "email": "wang.wu@example.org",
        "preferred_language": "zh-hans",
        "notify_by_email": "on",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def fresh(user: User) -> User:
    return User.objects.get(pk=user.pk)


def send(tree: Tree, *users: User, kind: str = KIND) -> int:
    return inbox_send(recipients=list(users), kind=kind, community=tree.community, params={"number": 7}, url="/inbox/")


# --- the service --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw", ["not-an-address", "wang@", "@example.org", "wang wu@example.org", "a@b", "x" * 250 + "@example.org"]
)
def test_bad_email_is_refused_and_nothing_changes(resident: User, raw: str) -> None:
    before = audit_rows(resident).count()
    with pytest.raises(ValidationError) as caught:
        services.user_update(actor=resident, user=resident, display_name="新名字", email=raw)
    assert caught.value.message_dict == {"email": [BAD_EMAIL]}
    again = fresh(resident)
    assert again.email == ""
    assert again.email_sealed == ""
    assert again.display_name == resident.display_name  # the valid name was not saved either
    assert audit_rows(resident).count() == before


def test_email_is_normalised_sealed_and_audited_masked(resident: User) -> None:
    services.user_update(actor=resident, user=resident, email="  Wang.Wu@Example.ORG ")
    again = fresh(resident)
    assert again.email == "Wang.Wu@example.org"  # domain lower-cased, the local part kept as typed
    assert "example.org" not in again.email_sealed  # sealed at rest, like the mobile number
    assert again.email_masked == "W***@example.org"
    row = audit_rows(resident).get()
    assert row.actor_id == resident.pk
    assert row.data == {"changed": {"email": ["", "W***@example.org"]}}
    assert "Wang.Wu" not in json.dumps(row.data)
    # saving the same values again changes nothing and records nothing
    services.user_update(actor=resident, user=again, email="Wang.Wu@EXAMPLE.org")
    assert audit_rows(resident).count() == 1


def test_one_audit_row_for_several_fields_and_clearing(resident: User) -> None:
    services.user_update(
        actor=resident,
        user=resident,
        display_name="王五",
        email="wang.wu@example.org",
        preferred_language="en",
        notify_by_email=False,
    )
    row = audit_rows(resident).get()
    assert set(row.data["changed"]) == {"display_name", "email", "preferred_language", "notify_by_email"}
    assert row.data["changed"]["email"] == ["", "w***@example.org"]
    assert row.data["changed"]["notify_by_email"] == [True, False]
    services.user_update(actor=resident, user=resident, email="")
    assert fresh(resident).email == ""
    assert audit_rows(resident).count() == 2
    assert audit_rows(resident).order_by("-id").first().data == {"changed": {"email": ["w***@example.org", ""]}}  # type: ignore[union-attr]


def test_email_is_not_unique(resident: User, neighbour: User) -> None:
    """A family may share one address; no error tells anyone an address is registered elsewhere."""
    services.user_update(actor=resident, user=resident, email="family@example.org")
    services.user_update(actor=neighbour, user=neighbour, email="family@example.org")
    assert fresh(resident).email == fresh(neighbour).email == "family@example.org"


def test_bad_language_is_refused(resident: User) -> None:
    with pytest.raises(ValidationError) as caught:
        services.user_update(actor=resident, user=resident, preferred_language="fr")
    assert list(caught.value.message_dict) == ["preferred_language"]
    assert fresh(resident).preferred_language == ""


def test_email_is_classified_personal_data_and_resealed_on_key_rotation() -> None:
    assert "accounts.User.email_sealed" in pii.classified()
    assert pii.classified()["accounts.User.email_sealed"].category == pii.Category.CONTACT
    assert (User, "email_sealed") in pii.sealed_fields()
    assert pii.looks_personal(User, "email")  # a future plain "email" field anywhere would be caught
    assert pii.unclassified_fields() == []
    assert mask_email("zhang.san@example.org") == "z***@example.org"
    assert mask_email("") == ""


# --- email notices through the inbox ------------------------------------------------------------


def test_outbox_row_once_the_user_sets_an_email_and_not_when_turned_off(
    tree: Tree, resident: User, client_for: Any, settings: Any
) -> None:
    """The real address on the account: no monkeypatching of ``address_of``."""
    settings.ANJU_EMAIL_ENABLED = True
    send(tree, resident)
    assert not Outbox.objects.exists()  # no address yet
    assert address_of(resident) == ""

    client = client_for(resident)
    form = client.get(ME).context["details_form"]
    assert form.initial["notify_by_email"] is True  # ticked by default
    assert client.post(ME, details()).status_code == 302
    assert address_of(fresh(resident)) == "wang.wu@example.org"
    send(tree, resident)
    row = Outbox.objects.get()
    assert row.message.recipient_id == resident.pk
    assert row.state == Outbox.State.PENDING

    assert client.post(ME, details(notify_by_email=None)).status_code == 302
    assert fresh(resident).notify_by_email is False
    assert fresh(resident).email == "wang.wu@example.org"  # kept: only the notices stop
    assert address_of(fresh(resident)) == ""
    send(tree, resident)
    assert Message.objects.filter(recipient=resident).count() == 3  # the inbox still gets every notice
    assert Outbox.objects.count() == 1  # but no new email
    # the pending email is not sent either once email is off
    assert tasks.deliver_outbox() == 0
    assert mail.outbox == []
    assert Outbox.objects.get().state == Outbox.State.SKIPPED


def test_a_new_address_turns_email_notices_on_through_the_api(tree: Tree, resident: User, settings: Any) -> None:
    settings.ANJU_EMAIL_ENABLED = True
    services.user_update(actor=resident, user=resident, notify_by_email=False)
    _token, raw = services.token_create(actor=resident, user=resident, name="phone")
    response = Client().patch(
        API_ME,
        {"email": "wang.wu@example.org"},
        content_type="application/json",
        headers={"Authorization": f"Bearer {raw}"},
    )
    assert response.status_code == 200
    assert response.json()["notify_by_email"] is True
    send(tree, resident)
    assert Outbox.objects.count() == 1


def test_the_worker_mails_the_stored_address_in_the_language_chosen_on_the_page(
    tree: Tree, resident: User, neighbour: User, client_for: Any, settings: Any
) -> None:
    settings.ANJU_EMAIL_ENABLED = True
    response = client_for(resident).post(ME, details(preferred_language="en"))
    assert response.status_code == 302
    assert response.cookies["anju_language"].value == "en"  # the page and the switch agree
    assert fresh(resident).preferred_language == "en"
    services.user_update(actor=neighbour, user=neighbour, email="zhao@example.org")  # language left as default
    send(tree, resident, neighbour, kind="tests.profile_translated")
    assert tasks.deliver_outbox() == 2
    by_address = {m.to[0]: m for m in mail.outbox}
    assert by_address["wang.wu@example.org"].subject == "Inbox"
    assert by_address["zhao@example.org"].subject == "消息"


# --- the page -----------------------------------------------------------------------------------


def test_page_shows_own_details_in_full_and_links_from_the_header(resident: User, client_for: Any) -> None:
    services.user_update(actor=resident, user=resident, email="wang.wu@example.org")
    client = client_for(resident)
    page = client.get(ME)
    assert page.status_code == 200
    html = page.content.decode()
    assert 'value="wang.wu@example.org"' in html
    assert 'hx-post="/accounts/me/"' in html
    assert 'id="change-password"' in html  # password change lives on the same page
    home = client.get("/").content.decode()
    assert 'class="topbar-user" href="/accounts/me/"' in home


def test_page_bad_email_shows_a_translated_error_and_changes_nothing(resident: User, client_for: Any) -> None:
    client = english(client_for(resident))
    response = client.post(ME, details(display_name="新名字", email="wang.wu@"))
    assert response.status_code == 422
    assert BAD_EMAIL in response.content.decode()
    again = fresh(resident)
    assert again.display_name == resident.display_name
    assert again.email == ""
    assert not audit_rows(resident).exists()

    zh_client = client_for(resident)
    response = zh_client.post(ME, details(email="wang.wu@"))
    with translation.override("zh-hans"):
        assert gettext(BAD_EMAIL) in response.content.decode()


def test_page_htmx_returns_the_card_with_errors_or_saved(resident: User, client_for: Any) -> None:
    client = english(client_for(resident))
    htmx = {"HX-Request": "true"}
    response = client.post(ME, details(email="nope", preferred_language="en"), headers=htmx)
    assert response.status_code == 200  # htmx swaps 2xx only
    body = response.content.decode()
    assert body.startswith('<section class="card" id="my-details">')
    assert BAD_EMAIL in body
    assert fresh(resident).email == ""

    response = client.post(ME, details(preferred_language="en"), headers=htmx)
    assert response.status_code == 200
    assert "Your details have been saved." in response.content.decode()
    assert fresh(resident).email == "wang.wu@example.org"

    response = client.post(ME, details(preferred_language="zh-hans"), headers=htmx)
    assert response["HX-Redirect"] == ME  # the language changed: reload the whole page
    assert response.cookies["anju_language"].value == "zh-hans"


def test_the_page_only_ever_changes_ones_own_account(resident: User, neighbour: User, client_for: Any) -> None:
    client = client_for(neighbour)
    client.post(ME, details(display_name="冒名", email="thief@example.org") | {"user": resident.pk, "pk": resident.pk})
    assert fresh(resident).display_name == resident.display_name
    assert fresh(resident).email == ""
    assert fresh(neighbour).email == "thief@example.org"


def test_signed_out_visitors_cannot_use_the_page_or_api() -> None:
    assert Client().post(ME, details()).status_code == 302
    assert Client().patch(API_ME, {"email": "a@example.org"}, content_type="application/json").status_code == 401


# --- administrators -----------------------------------------------------------------------------


def test_admin_sets_email_sees_it_masked_and_blank_keeps(
    tree: Tree, admin: User, resident: User, client_for: Any
) -> None:
    client = english(client_for(admin))
    url = f"/accounts/users/{resident.pk}/edit/"
    data = {"display_name": "王五", "mobile": "", "email": "Wang.Wu@Example.org"}
    assert client.post(url, data).status_code == 302
    again = fresh(resident)
    assert again.email == "Wang.Wu@example.org"
    assert again.mobile == "13900001234"  # an empty mobile field keeps the number (it is shown masked)
    row = audit_rows(resident).get()
    assert row.actor_id == admin.pk
    assert row.data["changed"]["email"] == ["", "W***@example.org"]

    listing = client.get("/accounts/users/").content.decode()
    detail = client.get(f"/accounts/users/{resident.pk}/").content.decode()
    for html in (listing, detail):
        assert "W***@example.org" in html
        assert "Wang.Wu@example.org" not in html

    assert client.post(url, {"display_name": "王五", "email": ""}).status_code == 302
    assert fresh(resident).email == "Wang.Wu@example.org"
    assert client.post(url, {"display_name": "王五", "clear_email": "on", "clear_mobile": "on"}).status_code == 302
    assert fresh(resident).email == ""
    assert fresh(resident).mobile == ""

    response = client.post(url, {"display_name": "王五", "email": "bad@"}, follow=True)
    assert BAD_EMAIL in response.content.decode()
    assert fresh(resident).email == ""


def test_others_cannot_edit_an_account_through_the_admin_form(
    tree: Tree, resident: User, neighbour: User, client_for: Any
) -> None:
    url = f"/accounts/users/{resident.pk}/edit/"
    data = {"display_name": "冒名", "email": "thief@example.org"}
    supervisor = make_user(Role.SUPERVISOR, tree.community)  # may view accounts, not edit them
    outsider = make_user(Role.ADMIN, tree.other_community)  # an administrator elsewhere
    for user, statuses in ((neighbour, {403, 404}), (supervisor, {403, 404}), (outsider, {404})):
        assert client_for(user).post(url, data).status_code in statuses
    assert fresh(resident).email == ""
    assert fresh(resident).display_name == resident.display_name
    assert not audit_rows(resident).exists()


# --- API ----------------------------------------------------------------------------------------


def api_for(user: User) -> tuple[Client, dict[str, str]]:
    _token, raw = services.token_create(actor=user, user=user, name="api")
    return Client(), {"Authorization": f"Bearer {raw}"}


def test_api_get_and_patch_me(resident: User, neighbour: User) -> None:
    client, auth = api_for(resident)
    body = client.get(API_ME, headers=auth).json()
    assert body["email"] == ""
    assert body["notify_by_email"] is True
    assert body["preferred_language"] == ""
    response = client.patch(
        API_ME,
        {"display_name": "王五", "email": "Wang.Wu@EXAMPLE.org", "preferred_language": "en", "notify_by_email": False},
        content_type="application/json",
        headers=auth,
    )
    assert response.status_code == 200
    body = response.json()
    assert body["email"] == "Wang.Wu@example.org"  # its owner reads it in full
    assert body["display_name"] == "王五"
    assert body["preferred_language"] == "en"
    assert body["notify_by_email"] is False
    assert body["mobile_masked"] == "139****1234"
    assert audit_rows(resident).count() == 1
    # only the fields sent change
    response = client.patch(API_ME, {"notify_by_email": True}, content_type="application/json", headers=auth)
    assert response.json()["email"] == "Wang.Wu@example.org"
    assert fresh(resident).notify_by_email is True
    assert fresh(neighbour).email == ""  # /me is always the caller: no id to aim at someone else


@pytest.mark.parametrize(
    ("payload", "field", "message"),
    [
        ({"email": "wang@", "display_name": "新名字"}, "email", BAD_EMAIL),
        ({"preferred_language": "fr"}, "preferred_language", "Choose one of the allowed values."),
        ({"display_name": "   "}, "display_name", "Enter a name."),
        ({"notify_by_email": "perhaps"}, "notify_by_email", "Enter true or false."),
    ],
)
def test_api_bad_input_is_422_in_the_callers_language_and_changes_nothing(
    resident: User, payload: dict[str, Any], field: str, message: str
) -> None:
    client, auth = api_for(resident)
    client.cookies["anju_language"] = "en"
    response = client.patch(API_ME, payload, content_type="application/json", headers=auth)
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert {"field": field, "message": message} in error["details"]
    again = fresh(resident)
    assert (again.display_name, again.email, again.preferred_language) == (resident.display_name, "", "")
    assert not audit_rows(resident).exists()


def test_api_schema_documents_me(db: Any) -> None:
    schema = Client().get("/api/v1/openapi.json").json()
    me = schema["paths"]["/api/v1/me"]
    assert set(me) >= {"get", "patch"}
    assert set(me["patch"]["responses"]) >= {"200", "422"}
    ref = me["patch"]["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
    props = schema["components"]["schemas"][ref]["properties"]
    assert set(props) == {"display_name", "email", "preferred_language", "notify_by_email"}
    assert "required" not in schema["components"]["schemas"][ref]  # every field optional (PATCH)
    out = schema["components"]["schemas"]["MeOut"]["properties"]
    assert {"email", "notify_by_email", "preferred_language", "language"} <= set(out)
