"""Sign-in, own account, and account administration pages."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import authenticate, login, logout, update_session_auth_hash
from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from anju.access import policy
from anju.access.roles import Role
from anju.accounts import codes, forms, services, signin
from anju.accounts.backends import find_user
from anju.accounts.models import ApiToken, RoleGrant, User
from anju.core.forms import apply_service_errors
from anju.core.masking import mask_mobile
from anju.core.middleware import language_for
from anju.core.pagination import paginate, query_without_page
from anju.orgs.models import Department, OrgUnit


@policy.public
@sensitive_post_parameters("password")
@never_cache
def login_view(request: HttpRequest) -> HttpResponse:
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        next_url = ""
    if request.user.is_authenticated and request.method == "GET":
        return redirect(next_url or "core:home")
    form = forms.LoginForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        identifier = form.cleaned_data["username"]
        try:
            signin.login_check_locked(identifier=identifier, request=request)
        except signin.LoginLocked as locked:
            until = formats.time_format(timezone.localtime(locked.until), "H:i")
            form.add_error(None, _("Too many failed attempts. Try again after %(time)s.") % {"time": until})
            form.add_error(
                None,
                _(
                    "To sign in now, use a phone or computer you have signed in on before, "
                    "or ask your community worker to unlock your account."
                ),
            )
        else:
            user = authenticate(request, username=identifier, password=form.cleaned_data["password"])
            if user is None:
                known = find_user(identifier)
                disabled = (
                    known is not None and not known.is_active and known.check_password(form.cleaned_data["password"])
                )
                signin.login_failed(identifier=identifier, request=request, reason="disabled" if disabled else "bad")
                if disabled:
                    form.add_error(None, _("This account has been disabled. Ask your community administrator."))
                else:
                    form.add_error(None, _("The username, mobile number or password is not correct."))
            elif codes.second_factor_required(user):
                try:
                    codes.code_request(mobile="", purpose=codes.Purpose.SECOND_FACTOR, user=user, request=request)
                except codes.CodeError as exc:
                    if exc.reason != "resend":  # a code sent a moment ago is still good
                        form.add_error(None, exc.message)
                        return render(request, "accounts/login.html", {"form": form, "next": next_url})
                request.session[SECOND_FACTOR_SESSION] = {"user": user.pk, "next": next_url}
                return redirect("accounts:code_second")
            else:
                return _signed_in(request, user, identifier=identifier, next_url=next_url)
    return render(request, "accounts/login.html", {"form": form, "next": next_url})


SECOND_FACTOR_SESSION = "anju_second_factor"
CODE_SESSION = "anju_code_mobile"


def _signed_in(
    request: HttpRequest, user: User, *, identifier: str, next_url: str, by_code: bool = False
) -> HttpResponse:
    login(request, user, backend=settings.AUTHENTICATION_BACKENDS[0])  # rotates the session key
    if not by_code:
        signin.login_succeeded(user=user, identifier=identifier, request=request)
    response = redirect(next_url or "core:home")
    signin.device_remember(response, device=signin.device_from(request), user=user)
    return response


def _safe_next(request: HttpRequest) -> str:
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    return next_url if url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}) else ""


@policy.public
@never_cache
def code_start(request: HttpRequest) -> HttpResponse:
    """Sign in with an SMS code, step one: the mobile number. The same answer for every number."""
    next_url = _safe_next(request)
    form = forms.MobileForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            sent = codes.code_request(
                mobile=form.cleaned_data["mobile"], purpose=codes.Purpose.SIGN_IN, request=request
            )
        except codes.CodeError as exc:
            form.add_error("mobile", exc.message)
        else:
            request.session[CODE_SESSION] = codes.clean_mobile(form.cleaned_data["mobile"])
            messages.info(
                request,
                _("If an account uses %(mobile)s, a code is on its way by SMS. It is valid for %(minutes)s minutes.")
                % {"mobile": sent.mobile_masked, "minutes": settings.ANJU_CODE_TTL // 60},
            )
            target = reverse("accounts:code_enter")
            return redirect(f"{target}?next={next_url}" if next_url else target)
    return render(request, "accounts/code_start.html", {"form": form, "next": next_url})


@policy.public
@never_cache
def code_enter(request: HttpRequest) -> HttpResponse:
    """Step two: the six digits, on the phone's numeric keypad."""
    next_url = _safe_next(request)
    mobile = str(request.session.get(CODE_SESSION, ""))
    if not mobile:
        return redirect("accounts:code_start")
    form = forms.CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = codes.code_sign_in(mobile=mobile, code=form.cleaned_data["code"], request=request)
        except codes.CodeError as exc:
            form.add_error("code", exc.message)
        else:
            request.session.pop(CODE_SESSION, None)
            return _signed_in(request, user, identifier=mobile, next_url=next_url, by_code=True)
    context = {"form": form, "next": next_url, "mobile_masked": mask_mobile(mobile)}
    return render(request, "accounts/code_enter.html", context, status=422 if form.errors else 200)


@policy.public
@never_cache
def code_second(request: HttpRequest) -> HttpResponse:
    """A staff password sign-in's second step: the code sent to the account's own number."""
    pending = request.session.get(SECOND_FACTOR_SESSION) or {}
    user = User.objects.filter(pk=pending.get("user") or 0, is_active=True).first()
    if user is None:
        return redirect("accounts:login")
    form = forms.CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            codes.code_verify(
                mobile="",
                code=form.cleaned_data["code"],
                purpose=codes.Purpose.SECOND_FACTOR,
                user=user,
                request=request,
            )
        except codes.CodeError as exc:
            form.add_error("code", exc.message)
        else:
            request.session.pop(SECOND_FACTOR_SESSION, None)
            return _signed_in(request, user, identifier=user.username, next_url=str(pending.get("next") or ""))
    context = {"form": form, "mobile_masked": user.mobile_masked, "second_factor": True}
    return render(request, "accounts/code_enter.html", context, status=422 if form.errors else 200)


@policy.public
@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        services.logout_recorded(user=request.user, request=request)
    logout(request)
    messages.info(request, _("You have signed out."))
    return redirect("accounts:login")


@policy.permission(policy.AUTHENTICATED)
@sensitive_post_parameters("old_password", "new_password", "new_password_again")
def profile(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    password_form = forms.PasswordChangeForm(request.POST if request.POST.get("form") == "password" else None)
    token_form = forms.TokenForm(request.POST if request.POST.get("form") == "token" else None)
    new_token = ""
    if request.method == "POST" and request.POST.get("form") == "password" and password_form.is_valid():
        try:
            services.password_change(
                actor=user,
                user=user,
                old_password=password_form.cleaned_data["old_password"],
                new_password=password_form.cleaned_data["new_password"],
                request=request,
            )
        except ValidationError as exc:
            apply_service_errors(password_form, exc)
        else:
            update_session_auth_hash(request, user)
            messages.success(request, _("Your password has been changed."))
            return redirect("accounts:profile")
    details_form = _details_form(request, user)
    if request.method == "POST" and request.POST.get("form") == "details":
        return _save_details(request, user, details_form)
    if request.method == "POST" and request.POST.get("form") == "token" and token_form.is_valid():
        try:
            _token, new_token = services.token_create(
                actor=user,
                user=user,
                name=token_form.cleaned_data["name"],
                days=token_form.cleaned_data["days"],
                request=request,
            )
            token_form = forms.TokenForm()
        except ValidationError as exc:
            apply_service_errors(token_form, exc)
    context = {
        "details_form": details_form,
        "password_form": password_form,
        "token_form": token_form,
        "new_token": new_token,
        "tokens": ApiToken.objects.filter(user=user, revoked_at__isnull=True),
        "grants": RoleGrant.objects.filter(user=user).select_related("unit", "department"),
    }
    return render(request, "accounts/profile.html", context)


def _details_form(request: HttpRequest, user: User) -> forms.ProfileForm:
    if request.method == "POST" and request.POST.get("form") == "details":
        return forms.ProfileForm(request.POST)
    return _fresh_details_form(user, language_for(request))


def _fresh_details_form(user: User, language: str) -> forms.ProfileForm:
    return forms.ProfileForm(
        initial={
            "display_name": user.display_name,
            "email": user.email,
            "preferred_language": user.preferred_language or language,
            "notify_by_email": user.notify_by_email,
        }
    )


def _save_details(request: HttpRequest, user: User, form: forms.ProfileForm) -> HttpResponse:
    """Save one's own details. An htmx post gets the card back (htmx swaps only 2xx answers, so its form
    errors come with 200), or a full reload when the language changed; a plain post redirects."""
    htmx = bool(getattr(request, "htmx", False))
    shown_language = language_for(request)
    if form.is_valid():
        data = form.cleaned_data
        try:
            user = services.user_update(
                actor=user,
                user=user,
                display_name=data["display_name"],
                email=data["email"],
                preferred_language=data["preferred_language"],
                notify_by_email=data["notify_by_email"],
                request=request,
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            return _details_saved(request, user, htmx=htmx, language_changed=user.preferred_language != shown_language)
    if htmx:
        return render(request, "accounts/_details.html", {"details_form": form})
    context = {
        "details_form": form,
        "password_form": forms.PasswordChangeForm(),
        "token_form": forms.TokenForm(),
        "tokens": ApiToken.objects.filter(user=user, revoked_at__isnull=True),
        "grants": RoleGrant.objects.filter(user=user).select_related("unit", "department"),
    }
    return render(request, "accounts/profile.html", context, status=422)


def _details_saved(request: HttpRequest, user: User, *, htmx: bool, language_changed: bool) -> HttpResponse:
    response: HttpResponse
    if htmx and not language_changed:
        form = _fresh_details_form(user, user.preferred_language)
        return render(request, "accounts/_details.html", {"details_form": form, "saved": True})
    messages.success(request, _("Your details have been saved."))
    if htmx:
        response = HttpResponse(headers={"HX-Redirect": reverse("accounts:profile")})
    else:
        response = redirect("accounts:profile")
    if language_changed:
        # The language switch's cookie outranks the stored preference: keep the two the same.
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            user.preferred_language,
            max_age=365 * 24 * 3600,
            samesite="Lax",
            secure=request.is_secure(),
        )
    return response


@policy.permission(policy.AUTHENTICATED)
@require_POST
def token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    own_tokens = ApiToken.objects.filter(user_id=int(request.user.pk or 0))
    token = policy.get_for(request.user, policy.AUTHENTICATED, own_tokens, pk=pk)
    services.token_revoke(actor=request.user, token=token, request=request)
    messages.success(request, _("The token has been revoked."))
    return redirect("accounts:profile")


# --- administration -----------------------------------------------------------------------


def users_visible(user: Any) -> QuerySet[User]:
    """Accounts holding a role within the viewer's reach (everyone, for a superuser)."""
    if policy.is_superuser(user):
        return User.objects.all()
    scope = policy.scope_q(user, "user.view", "grants__unit__path")
    return User.objects.filter(scope).distinct()


def _grantable_units(user: Any) -> QuerySet[OrgUnit]:
    return policy.visible(OrgUnit.objects.all(), user, "user.manage", "path").order_by("path")


def _grantable_departments(user: Any) -> QuerySet[Department]:
    return policy.visible(Department.objects.select_related("unit"), user, "user.manage", "unit__path")


@policy.permission("user.view")
def user_list(request: HttpRequest) -> HttpResponse:
    q = request.GET.get("q", "").strip()
    role = request.GET.get("role", "")
    status = request.GET.get("status", "")
    qs = users_visible(request.user)
    if q:
        qs = qs.filter(Q(username__icontains=q) | Q(display_name__icontains=q))
    if role in Role.values:
        qs = qs.filter(grants__role=role).distinct()
    if status == "active":
        qs = qs.filter(is_active=True)
    elif status == "disabled":
        qs = qs.filter(is_active=False)
    page = paginate(request, qs.order_by("username").prefetch_related("grants__unit"))
    context = {
        "page": page,
        "q": q,
        "role": role,
        "status": status,
        "roles": Role.choices,
        "query": query_without_page(request),
        "may_manage": policy.can(request.user, "user.manage"),
    }
    return render(request, "accounts/user_list.html", context)


@policy.permission("user.manage")
@sensitive_post_parameters("password")
def user_create(request: HttpRequest) -> HttpResponse:
    units, departments = _grantable_units(request.user), _grantable_departments(request.user)
    form = forms.UserCreateForm(request.POST or None, units=units, departments=departments)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            user = services.user_create(
                actor=request.user,
                username=data["username"],
                display_name=data["display_name"],
                password=data["password"],
                mobile=data["mobile"],
                role=data["role"],
                unit=data["unit"],
                department=data["department"],
                request=request,
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("Account %(name)s created.") % {"name": user.username})
            return redirect("accounts:user_detail", pk=user.pk)
    return render(request, "accounts/user_form.html", {"form": form})


def _user_for(request: HttpRequest, pk: int, action: str) -> User:
    """Fetch-and-authorise: a user outside one's reach is a 404."""
    user = policy.get_for(request.user, policy.AUTHENTICATED, users_visible(request.user), pk=pk)
    if not policy.can(request.user, action):
        from django.http import Http404

        raise Http404
    return user


@policy.permission("user.view")
@sensitive_post_parameters("password")
def user_detail(request: HttpRequest, pk: int) -> HttpResponse:
    target = _user_for(request, pk, "user.view")
    may_manage = policy.can(request.user, "user.manage")
    units, departments = _grantable_units(request.user), _grantable_departments(request.user)
    context: dict[str, Any] = {
        "target": target,
        "grants": target.grants.select_related("unit", "department"),
        "may_manage": may_manage,
        "grant_form": forms.GrantForm(units=units, departments=departments),
        "disable_form": forms.DisableForm(),
        "reset_form": forms.PasswordResetForm(),
        "update_form": forms.UserUpdateForm(initial={"display_name": target.display_name}),
    }
    return render(request, "accounts/user_detail.html", context)


@policy.permission("user.manage")
@require_POST
def user_update(request: HttpRequest, pk: int) -> HttpResponse:
    target = _user_for(request, pk, "user.manage")
    form = forms.UserUpdateForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.user_update(
                actor=request.user,
                user=target,
                display_name=data["display_name"],
                mobile="" if data["clear_mobile"] else (data["mobile"].strip() or None),
                email="" if data["clear_email"] else (data["email"].strip() or None),
                request=request,
            )
            messages.success(request, _("The account has been saved."))
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
    else:
        messages.error(request, _("Check the name, mobile number and email address."))
    return redirect("accounts:user_detail", pk=target.pk)


@policy.permission("user.manage")
@require_POST
def user_grant(request: HttpRequest, pk: int) -> HttpResponse:
    target = _user_for(request, pk, "user.manage")
    form = forms.GrantForm(
        request.POST, units=_grantable_units(request.user), departments=_grantable_departments(request.user)
    )
    if form.is_valid():
        try:
            services.role_grant(
                actor=request.user,
                user=target,
                role=form.cleaned_data["role"],
                unit=form.cleaned_data["unit"],
                department=form.cleaned_data["department"],
                request=request,
            )
            messages.success(request, _("The role has been granted."))
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
    else:
        messages.error(request, _("Choose a role and an org unit within your reach."))
    return redirect("accounts:user_detail", pk=target.pk)


@policy.permission("user.manage")
@require_POST
def user_revoke(request: HttpRequest, pk: int, grant_pk: int) -> HttpResponse:
    target = _user_for(request, pk, "user.manage")
    grant = policy.get_for(
        request.user, "user.manage", RoleGrant.objects.filter(user=target).select_related("unit", "user"), pk=grant_pk
    )
    services.role_revoke(actor=request.user, grant=grant, request=request)
    messages.success(request, _("The role has been revoked."))
    return redirect("accounts:user_detail", pk=target.pk)


@policy.permission("user.manage")
@require_POST
def user_set_active(request: HttpRequest, pk: int) -> HttpResponse:
    target = _user_for(request, pk, "user.manage")
    active = request.POST.get("active") == "1"
    try:
        services.user_set_active(
            actor=request.user, user=target, active=active, reason=request.POST.get("reason", ""), request=request
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("The account has been enabled.") if active else _("The account has been disabled."))
    return redirect("accounts:user_detail", pk=target.pk)


@policy.permission("user.manage")
@require_POST
@sensitive_post_parameters("password")
def user_reset_password(request: HttpRequest, pk: int) -> HttpResponse:
    target = _user_for(request, pk, "user.manage")
    try:
        services.password_reset(
            actor=request.user, user=target, new_password=request.POST.get("password", ""), request=request
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("The password has been reset; the user's sessions have ended."))
    return redirect("accounts:user_detail", pk=target.pk)


# --- locked accounts: staff let the owner back in -----------------------------------------


@policy.permission("user.unlock")
def locked_list(request: HttpRequest) -> HttpResponse:
    """Accounts locked after failed sign-ins, within the viewer's reach, each with an unlock button."""
    rows = [(user, signin.locked_until(user)) for user in signin.locked_accounts(request.user).order_by("username")]
    return render(request, "accounts/locked.html", {"rows": rows})


@policy.permission("user.unlock")
@require_POST
def user_unlock(request: HttpRequest, pk: int) -> HttpResponse:
    target: User = policy.get_for(request.user, policy.AUTHENTICATED, signin.locked_accounts(request.user), pk=pk)
    signin.login_unlock(actor=request.user, user=target, request=request)
    messages.success(request, _("%(name)s can sign in again.") % {"name": target.display_name or target.username})
    return redirect("accounts:locked")
