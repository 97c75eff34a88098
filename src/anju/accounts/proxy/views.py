"""The family-proxy pages (子女代办): the resident's and the proxy's page, and the worker's record page."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from anju.access import policy
from anju.accounts import acting
from anju.accounts.models import User
from anju.accounts.proxy import forms, selectors, services
from anju.core.forms import apply_service_errors


@policy.permission(policy.AUTHENTICATED)
def proxy_home(request: HttpRequest) -> HttpResponse:
    """My family proxies (grant, end) and the residents I may act for (act, stop)."""
    user: User = acting.real_user(request)
    may_grant = services.community_of(user) is not None
    form = forms.GrantForm(request.POST or None) if may_grant else None
    if request.method == "POST":
        if form is None:
            raise PermissionDenied
        if form.is_valid():
            try:
                grant = services.proxy_grant_create(actor=user, grantor=user, request=request, **form.service_kwargs())
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                messages.success(request, _("%(name)s may now act for you.") % {"name": grant.proxy})
                return redirect("accounts:proxy")
    now = timezone.now()
    given = list(selectors.given(user)[: selectors.RECENT])
    context = {
        "form": form,
        "given": [(g, g.is_active_at(now), acting.scope_labels(g.scopes)) for g in given],
        "held": [(g, acting.scope_labels(g.scopes)) for g in selectors.held(user)],
        "acting_grant": getattr(request, "acting_grant", None),
    }
    status = 422 if form is not None and form.errors else 200
    return render(request, "accounts/proxy.html", context, status=status)


@policy.permission(policy.AUTHENTICATED)
@require_POST
def proxy_end(request: HttpRequest, pk: int) -> HttpResponse:
    user = acting.real_user(request)
    grant = selectors.grant_to_end(user, pk)
    services.proxy_grant_end(actor=user, grant=grant, request=request)
    messages.success(request, _("The family proxy has ended."))
    target = request.POST.get("next", "")
    return redirect("accounts:proxy_record" if target == "record" else "accounts:proxy")


@policy.permission(policy.AUTHENTICATED)
@require_POST
def proxy_act(request: HttpRequest, pk: int) -> HttpResponse:
    user = acting.real_user(request)
    grant = selectors.held(user).filter(pk=pk).first()
    if grant is None:
        raise Http404
    try:
        services.acting_start(actor=user, grant=grant, request=request)
    except ValidationError:
        raise Http404 from None
    messages.info(request, _("You are now acting for %(name)s.") % {"name": grant.grantor})
    return redirect("core:home")


@policy.permission(policy.AUTHENTICATED)
@require_POST
def proxy_stop(request: HttpRequest) -> HttpResponse:
    services.acting_stop(actor=acting.real_user(request), request=request)
    messages.info(request, _("You are acting for yourself again."))
    return redirect("accounts:proxy")


@policy.permission("proxy.record")
def proxy_record(request: HttpRequest) -> HttpResponse:
    """A worker records a grant for a resident of their community, with the resident's consent."""
    worker = acting.real_user(request)
    form = forms.RecordForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        grantor = User.objects.filter(username__iexact=form.cleaned_data["resident"].strip()).first()
        try:
            if grantor is None:
                raise ValidationError({"resident": [_("No resident of your community has this username.")]})
            try:
                grant = services.proxy_grant_create(
                    actor=worker, grantor=grantor, request=request, **form.service_kwargs()
                )
            except PermissionDenied:
                raise ValidationError({"resident": [_("No resident of your community has this username.")]}) from None
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(
                request, _("%(proxy)s may now act for %(name)s.") % {"proxy": grant.proxy, "name": grant.grantor}
            )
            return redirect("accounts:proxy_record")
    now = timezone.now()
    grants = list(selectors.in_reach(worker)[:50])
    context = {
        "form": form,
        "grants": [(g, g.is_active_at(now), acting.scope_labels(g.scopes)) for g in grants],
    }
    return render(request, "accounts/proxy_record.html", context, status=422 if form.errors else 200)
